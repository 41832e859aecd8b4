"""The catalog page: a static site (one HTML file with its data inside) built from the product's metadata.

It opens from disk (file://) and from any static web server; all text is put in the page as data and written
with ``textContent`` by the page's script, so a description can never inject HTML.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from dataprodukt.catalog import sources
from dataprodukt.core.dbt_session import DbtSession, read_artifact
from dataprodukt.core.project import Project
from dataprodukt.rules.identity import Dataset, published_datasets

TEMPLATE = "catalog_site.html"
DATA_MARK = "/*KATALOG_DATA*/"
STATE_ORDER = ["SOURCE_DATA", "INPUT_DATA", "PROCESSED_DATA", "STATISTICS", "OUTPUT_DATA"]

LABELS: dict[str, dict[str, str]] = {
    "state": {
        "SOURCE_DATA": "Kildedata",
        "INPUT_DATA": "Inndata",
        "PROCESSED_DATA": "Klargjorte data",
        "STATISTICS": "Statistikk",
        "OUTPUT_DATA": "Utdata",
    },
    "assessment": {"SENSITIVE": "Sensitiv", "PROTECTED": "Skjermet", "OPEN": "Åpen"},
    "status": {"DRAFT": "Utkast", "INTERNAL": "Intern", "EXTERNAL": "Ekstern", "DEPRECATED": "Utgått"},
    "role": {
        "IDENTIFIER": "Identifikator",
        "MEASURE": "Målevariabel",
        "START_TIME": "Starttid",
        "STOP_TIME": "Stopptid",
        "ATTRIBUTE": "Attributt",
    },
    "type": {
        "STRING": "Tekst",
        "INTEGER": "Heltall",
        "FLOAT": "Desimaltall",
        "DATETIME": "Dato/tid",
        "BOOLEAN": "Boolsk",
    },
    "personal": {
        "NOT_PERSONAL_DATA": "Ikke personopplysning",
        "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA": "Personopplysning, pseudonymisert",
        "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA": "Personopplysning, ikke pseudonymisert",
    },
    "temporality": {"FIXED": "Fast", "STATUS": "Status", "ACCUMULATED": "Akkumulert", "EVENT": "Hendelse"},
    "run": {
        "success": "Vellykket",
        "error": "Feilet",
        "fail": "Feilet",
        "runtime error": "Feilet",
        "skipped": "Hoppet over",
        "pass": "OK",
        "warn": "Advarsel",
        "no-op": "Uendret",
    },
    "node": {"model": "modell", "seed": "kodeliste", "snapshot": "historikk", "source": "kilde", "exposure": "bruk"},
}


def site_dir(project: Project) -> Path:
    return sources.catalog_dir(project) / "site"


def build_catalog_site(project: Project, session: DbtSession | None = None, out: Path | None = None) -> Path:
    """Write the catalog site; return its index.html. The main job calls it last, after the run log is known."""
    manifest = read_artifact(project.target_dir / "manifest.json", "dataprodukt run")
    catalog = _optional_artifact(project.target_dir / "catalog.json")
    folder = out or site_dir(project)
    data = catalog_data(project, manifest, catalog, run_status(project, session), folder)
    folder.mkdir(parents=True, exist_ok=True)
    template = resources.files("dataprodukt").joinpath("data", TEMPLATE).read_text(encoding="utf-8")
    index = folder / "index.html"
    index.write_text(template.replace(DATA_MARK, embed(data)), encoding="utf-8")
    (folder / "katalog.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return index


def step(project: Project, session: DbtSession) -> None:
    """Post-build step for the main job."""
    index = build_catalog_site(project, session)
    print(f"catalog page: {index}", flush=True)


def embed(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' can end it or start markup."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _optional_artifact(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def run_status(project: Project, session: DbtSession | None) -> dict[str, dict[str, Any]]:
    """Latest executed result per node: this process's dbt invocations first, then the run log."""
    from dataprodukt.runlog import reader as runstatus
    from dataprodukt.runlog.results import node_results

    status: dict[str, dict[str, Any]] = {}
    if session is not None:
        for invocation in reversed(session.invocations):
            if invocation.command[0] not in runstatus.EXECUTING:
                continue
            results = invocation.artifacts.get("run_results.json") or {}
            for row in node_results("", "", results):
                status.setdefault(row["unique_id"], {**row, "run_started_at": invocation.started_at})
    try:
        from dataprodukt.core.warehouse import connected

        with connected(project) as warehouse:
            logged = runstatus.latest_node_status(runstatus.last_runs(warehouse, limit=20))
    except Exception as error:  # a page without run status is still a catalog
        print(f"dataprodukt catalog: no run status from the run log: {error}", file=sys.stderr)
        logged = {}
    for unique_id, row in logged.items():
        status.setdefault(unique_id, row)
    return status


def catalog_data(
    project: Project,
    manifest: dict[str, Any],
    catalog: dict[str, Any],
    status: dict[str, dict[str, Any]],
    folder: Path,
) -> dict[str, Any]:
    """Everything the page shows, as one JSON-able document (links relative to the site's ``folder``)."""
    documents = sources.datadoc_documents(project)
    register = sources.register_records(project)
    groups: dict[str, list[Dataset]] = {}
    for dataset in published_datasets(manifest):
        groups.setdefault(dataset.model, []).append(dataset)
    entries = [
        _dataset_entry(project, folder, manifest, catalog, status, versions, documents, register)
        for versions in groups.values()
    ]
    entries.sort(key=lambda entry: (_state_rank(entry["state"]), entry["id"]))
    return {
        "product": str(manifest.get("metadata", {}).get("project_name", "")),
        "target": project.target,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "register": bool(register),
        "labels": LABELS,
        "datasets": entries,
    }


def _state_rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


def _dataset_entry(
    project: Project,
    folder: Path,
    manifest: dict[str, Any],
    catalog: dict[str, Any],
    status: dict[str, dict[str, Any]],
    versions: list[Dataset],
    documents: dict[str, dict[str, Any]],
    register: list[dict[str, Any]],
) -> dict[str, Any]:
    latest = _latest(versions)
    storage = sources.storage_root(project) / latest.product / latest.storage_folder
    rows = [_version_entry(project, folder, status, dataset, documents, register) for dataset in versions]
    # versions known only from their documents (published before, no longer in the project): they stay listed
    known = {row["stem"] for row in rows}
    for stem, document in documents.items():
        parts = sources.parse_stem(stem)
        if stem in known or not parts or parts["description"] != latest.description:
            continue
        rows.append(_document_only_version(folder, storage, stem, parts, document, register))
    rows.sort(key=lambda row: -(row["version"] if row["version"] is not None else -1))
    document = (documents.get(latest.stem) or {}).get("datadoc") or {}
    meta = {**(latest.node.get("config", {}).get("meta") or {}), **(latest.node.get("meta") or {})}
    dataset_doc: dict[str, Any] = document.get("dataset") or {}
    variables = _variables(latest, document.get("variables") or [], catalog)
    run = status.get(latest.unique_id)
    return {
        "id": latest.model,
        "model": latest.model,
        "unique_id": latest.unique_id,
        "name": _text(dataset_doc.get("name")) or latest.model,
        "description": latest.node.get("description") or _text(dataset_doc.get("description")),
        "state": str(dataset_doc.get("dataset_state") or latest.dataset_state),
        "assessment": str(dataset_doc.get("assessment") or latest.assessment),
        "status": str(dataset_doc.get("dataset_status") or meta.get("dataset_status") or "DRAFT"),
        "keywords": [str(word) for word in (dataset_doc.get("keyword") or meta.get("keyword") or [])],
        "unit_type": str(dataset_doc.get("unit_type") or meta.get("unit_type") or ""),
        "population": _text(dataset_doc.get("population_description")) or str(meta.get("population_description") or ""),
        "subject_field": str(dataset_doc.get("subject_field") or meta.get("subject_field") or ""),
        "temporality": str(dataset_doc.get("temporality_type") or meta.get("temporality_type") or ""),
        "data_source": str(dataset_doc.get("data_source") or meta.get("data_source") or ""),
        "spatial_coverage": _text(dataset_doc.get("spatial_coverage_description")) or "Norge",
        "contains_personal_data": any(variable["personal_data"] != "NOT_PERSONAL_DATA" for variable in variables),
        "metadata_from": "datadoc" if document else "dbt",
        "product": latest.product,
        "folder": latest.storage_folder,
        "latest_version": latest.latest_version,
        "latest_alias": {
            "name": latest.latest_stem,
            "data_file": _link(folder, storage / f"{latest.latest_stem}.parquet"),
            "exists": (storage / f"{latest.latest_stem}.parquet").exists(),
            "relation": f"{latest.node['schema']}.{latest.model}",
        },
        "versions": rows,
        "variables": variables,
        "lineage": sources.lineage(manifest, latest.unique_id),
        "run": _run_entry(run),
    }


def _latest(versions: list[Dataset]) -> Dataset:
    for dataset in versions:
        if dataset.version == dataset.latest_version:
            return dataset
    return max(versions, key=lambda dataset: dataset.version or 0)


def _version_entry(
    project: Project,
    folder: Path,
    status: dict[str, dict[str, Any]],
    dataset: Dataset,
    documents: dict[str, dict[str, Any]],
    register: list[dict[str, Any]],
) -> dict[str, Any]:
    storage = sources.storage_root(project) / dataset.product / dataset.storage_folder
    data_file = storage / f"{dataset.stem}.parquet"
    document = documents.get(dataset.stem) or {}
    doc_file = Path(document["doc_file"]) if "doc_file" in document else storage / f"{dataset.stem}{sources.DOC_SUFFIX}"
    return {
        "version": dataset.version,
        "stem": dataset.stem,
        "period_from": dataset.period_from,
        "period_to": dataset.period_to,
        "stable": dataset.is_stable,
        "in_project": True,
        "relation": ".".join(part for part in dataset.relation[1:] if part),
        "data_file": _link(folder, data_file),
        "data_exists": data_file.exists(),
        "doc_file": _link(folder, doc_file),
        "doc_exists": doc_file.exists(),
        "published": _published(register, dataset.stem, dataset.model, dataset.description, dataset.version),
        "run": _run_entry(status.get(dataset.unique_id)),
    }


def _document_only_version(
    folder: Path,
    storage: Path,
    stem: str,
    parts: dict[str, Any],
    document: dict[str, Any],
    register: list[dict[str, Any]],
) -> dict[str, Any]:
    doc_file = Path(document["doc_file"]) if "doc_file" in document else storage / f"{stem}{sources.DOC_SUFFIX}"
    data_file = doc_file.parent / f"{stem}.parquet"
    return {
        "version": parts["version"],
        "stem": stem,
        "period_from": parts["period_from"],
        "period_to": parts["period_to"],
        "stable": bool(parts["version"]),
        "in_project": False,
        "relation": "",
        "data_file": _link(folder, data_file),
        "data_exists": data_file.exists(),
        "doc_file": _link(folder, doc_file),
        "doc_exists": doc_file.exists(),
        "published": _published(register, stem, "", parts["description"], parts["version"]),
        "run": None,
    }


def _published(
    register: list[dict[str, Any]], stem: str, model: str, description: str, version: int | None
) -> dict[str, Any] | None:
    for record in register:
        if record.get("stem") == stem or (
            record.get("dataset") in {model, description, stem} and record.get("version") == version
        ):
            return {key: record.get(key) for key in ("rows", "checksum", "commit", "published_at") if key in record} | {
                "registered": True
            }
    return None


def _variables(dataset: Dataset, documented: list[dict[str, Any]], catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """Variables from the Datadoc document, in column order, with dbt's descriptions and meta beside them."""
    columns: dict[str, Any] = dataset.node.get("columns") or {}
    warehouse_types = {
        name.lower(): str(column.get("type") or "")
        for name, column in ((catalog.get("nodes") or {}).get(dataset.unique_id, {}).get("columns") or {}).items()
    }
    by_name = {str(variable.get("short_name")): variable for variable in documented if variable.get("short_name")}
    names = list(by_name) + [name for name in columns if name not in by_name]
    variables = []
    for name in names:
        variable = by_name.get(name, {})
        column = columns.get(name) or {}
        meta = {**(column.get("config", {}).get("meta") or {}), **(column.get("meta") or {})}
        variables.append(
            {
                "short_name": name,
                "name": _text(variable.get("name")),
                "description": str(column.get("description") or ""),
                "comment": _text(variable.get("comment")),
                "data_type": str(
                    variable.get("data_type")
                    or _datadoc_type(warehouse_types.get(name.lower()) or column.get("data_type") or "")
                ),
                "role": str(variable.get("variable_role") or meta.get("variable_role") or ""),
                "personal_data": _personal(variable, meta),
                "measurement_unit": str(variable.get("measurement_unit") or meta.get("measurement_unit") or ""),
                "classification_uri": str(variable.get("classification_uri") or meta.get("classification_uri") or ""),
                "definition_uri": str(variable.get("definition_uri") or meta.get("definition_uri") or ""),
            }
        )
    return variables


def _personal(variable: dict[str, Any], meta: dict[str, Any]) -> str:
    """The personal-data class: dbt meta may name it; Datadoc 8 has a flag plus pseudonymisation details."""
    named = meta.get("is_personal_data")
    if isinstance(named, str) and named in LABELS["personal"]:
        return named
    flag = variable.get("is_personal_data", named)
    if flag is True:
        pseudonymised = variable.get("pseudonymization")
        return "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA" if pseudonymised else "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
    return "NOT_PERSONAL_DATA"


def _datadoc_type(warehouse_type: str) -> str:
    """A warehouse column type as a Datadoc data type (the fallback when there is no document)."""
    kind = warehouse_type.lower()
    for words, datadoc in (
        (("bool",), "BOOLEAN"),
        (("timestamp", "date", "time"), "DATETIME"),
        (("int",), "INTEGER"),
        (("numeric", "decimal", "double", "float", "real"), "FLOAT"),
        (("char", "text", "string", "uuid"), "STRING"),
    ):
        if any(word in kind for word in words):
            return datadoc
    return ""


def _text(value: Any) -> str:
    """A Datadoc language string in Norwegian bokmål if there is one (then nynorsk, English, any)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return ""
    texts = {str(item.get("languageCode")): str(item.get("languageText")) for item in value if isinstance(item, dict)}
    for code in ("nb", "no", "nn", "en"):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


def _run_entry(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if not row:
        return None
    from dataprodukt.runlog.reader import as_utc, rows_of

    stamp = as_utc(row.get("ended_at")) or as_utc(row.get("run_started_at"))
    return {
        "status": str(row.get("status") or ""),
        "at": stamp.isoformat(timespec="seconds") if stamp else "",
        "seconds": round(float(row.get("duration_seconds") or 0.0), 2),
        "rows": rows_of(row),
        "message": str(row.get("message") or ""),
    }


def _link(folder: Path, target: Path) -> str:
    """A relative URL from the site folder, so the page works from disk and from a web server alike."""
    return Path(os.path.relpath(target, folder)).as_posix()
