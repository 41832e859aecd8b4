"""The catalog page: a static site (one HTML file with its data inside) built from the product's metadata.

It opens from disk (file://) and from any static web server; all text is put in the page as data and written
with ``textContent`` by the page's script, so a description can never inject HTML.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from dataprodukt.catalog import chart, sources
from dataprodukt.catalog.labels import LABELS, classification, coded
from dataprodukt.core.context import RunContext
from dataprodukt.core.provenance import now
from dataprodukt.core.storage import Storage
from dataprodukt.datadoc import code_lists, links
from dataprodukt.datadoc.types import column_kind, datadoc_type
from dataprodukt.datadoc.version_changes import compare, shape
from dataprodukt.publish.register import Record
from dataprodukt.rules.column_lineage import ColumnLineage
from dataprodukt.rules.identity import Dataset, node_meta
from dataprodukt.rules.naming_standard import DATA_STATES

TEMPLATE = "catalog_site.html"
DATA_MARK = "/*KATALOG_DATA*/"
SITE = "site"
# source data first, then the published states in the order data flows
STATE_ORDER = ["SOURCE_DATA", *(state.dataset_state for state in DATA_STATES)]
# a bucket object as a signed-in user opens it in the browser
BROWSER_URL = "https://storage.cloud.google.com/"


def build_catalog_site(context: RunContext, out: Storage | None = None) -> str:
    """Write the catalog site (``index.html`` and ``katalog.json``) into the catalog's ``site/`` folder, or
    ``out``; return the address of its index.html."""
    site = out or context.catalog.child(SITE)
    status = run_status(context)
    data = catalog_data(context, status, site)
    template = resources.files("dataprodukt").joinpath("data", TEMPLATE).read_text(encoding="utf-8")
    site.replace("index.html", template.replace(DATA_MARK, embed(data)).encode("utf-8"))
    site.replace("katalog.json", (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    return site.uri("index.html") if not site.is_local else str(Path(site.root) / "index.html")


def step(context: RunContext) -> None:
    """The main job's step, after the export (the documents are written)."""
    print(f"catalog page: {build_catalog_site(context)}", flush=True)


def embed(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' can end it or start markup."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def run_status(context: RunContext) -> dict[str, dict[str, Any]]:
    """Latest executed result per node: this process's dbt invocations first, then the run log."""
    from dataprodukt.runlog import reader
    from dataprodukt.runlog.results import node_results

    status: dict[str, dict[str, Any]] = {}
    for invocation in reversed(context.session.invocations):
        if invocation.command[0] not in reader.EXECUTING:
            continue
        results = invocation.artifacts.get("run_results.json") or {}
        for row in node_results("", "", results):
            status.setdefault(row["unique_id"], {**row, "run_started_at": invocation.started_at})
    try:
        logged = reader.latest_node_status(reader.last_runs(context.warehouse, limit=20))
    except Exception as error:  # a page without run status is still a catalog
        print(f"dataprodukt catalog: no run status from the run log: {error}", file=sys.stderr)
        logged = {}
    for unique_id, row in logged.items():
        status.setdefault(unique_id, row)
    return status


class Page:
    """What every entry of the page needs: where the site is, where the files are, what is documented."""

    def __init__(self, context: RunContext, site: Storage, status: dict[str, dict[str, Any]]) -> None:
        product = context.project.product
        self.site = site
        self.storage = context.storage
        self.manifest = context.manifest
        self.catalog = context.artifacts.catalog
        self.status = status
        self.documents = sources.datadoc_documents(self.storage, product)
        self.register = sources.register_records(self.storage, product)
        lists = code_lists.load(context.project.root)
        self.lists = lists.with_classifications(code_lists.seed_classifications(self.manifest))
        self.columns = ColumnLineage(self.manifest, self.catalog)
        self.context = context

    def link(self, path: PurePosixPath | str) -> str:
        """A link to a file in storage: relative from a local site to local storage (works from disk and a web
        server alike), else the file's address in the browser."""
        target, here = self.storage.local_path(path), self.site.local_path("")
        if target is not None and here is not None:
            return Path(os.path.relpath(target, here)).as_posix()
        address = f"{self.storage.root.rstrip('/')}/{path}"
        return BROWSER_URL + address.removeprefix("gs://") if address.startswith("gs://") else address


def catalog_data(context: RunContext, status: dict[str, dict[str, Any]], site: Storage) -> dict[str, Any]:
    """Everything the page shows, as one JSON-able document."""
    page = Page(context, site, status)
    groups: dict[str, list[Dataset]] = {}
    for dataset in context.datasets:
        groups.setdefault(dataset.model, []).append(dataset)
    entries = [_dataset_entry(page, versions) for versions in groups.values()]
    entries.sort(key=lambda entry: (_state_rank(entry["state"]), entry["id"]))
    return {
        "product": str(context.manifest.get("metadata", {}).get("project_name", "")),
        "target": context.project.target,
        "generated_at": now().isoformat(timespec="seconds"),
        "register": bool(page.register),
        "labels": LABELS,
        "datasets": entries,
    }


def _state_rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


def _dataset_entry(page: Page, versions: list[Dataset]) -> dict[str, Any]:
    latest = _latest(versions)
    rows = [_version_entry(page, dataset) for dataset in versions]
    # versions known only from their documents (published before, no longer in the project): they stay listed
    known = {row["stem"] for row in rows}
    for stem, document in page.documents.items():
        parts = sources.parse_stem(stem)
        if stem in known or not parts or parts["description"] != latest.description:
            continue
        rows.append(_document_only_version(page, stem, parts, document))
    rows.sort(key=lambda row: -(row["version"] if row["version"] is not None else -1))
    _version_changes(page, rows)
    document = (page.documents.get(latest.stem) or {}).get("datadoc") or {}
    meta = node_meta(latest.node)
    dataset_doc: dict[str, Any] = document.get("dataset") or {}
    variables = _variables(page, latest, document.get("variables") or [])
    unit_type = meta.get("unit_type") or _common(variables, "unit_type")
    data_source = meta.get("data_source") or _common(variables, "data_source")
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
        "unit_type": coded(page.lists, "unit_type", unit_type),
        "population": _text(dataset_doc.get("population_description")) or str(meta.get("population_description") or ""),
        "subject_field": coded(
            page.lists, "subject_field", dataset_doc.get("subject_field") or meta.get("subject_field")
        ),
        "temporality": str(meta.get("temporality_type") or _common(variables, "temporality") or ""),
        "data_source": coded(page.lists, "data_source", data_source),
        "spatial_coverage": _text(dataset_doc.get("spatial_coverage_description")) or "Norge",
        "contains_personal_data": any(variable["personal_data"] != "NOT_PERSONAL_DATA" for variable in variables),
        "metadata_from": "datadoc" if document else "dbt",
        "product": latest.product,
        "folder": latest.storage_folder,
        "latest_version": latest.latest_version,
        "latest_alias": {
            "name": latest.latest_stem,
            "data_file": page.link(latest.latest_storage_path),
            "exists": page.storage.exists(latest.latest_storage_path),
            "relation": f"{latest.node['schema']}.{latest.model}",
        },
        "versions": rows,
        "variables": variables,
        "lineage": sources.lineage(page.manifest, latest.unique_id),
        "run": _run_entry(page.status.get(latest.unique_id)),
        "chart": _chart(page, latest, variables),
    }


def _common(variables: list[dict[str, Any]], key: str) -> str:
    """The value most variables have (the model's "global" value, when the model's meta is not at hand)."""
    values = [str(variable.get(key) or "") for variable in variables if variable.get(key)]
    return max(set(values), key=values.count) if values else ""


def _chart(page: Page, dataset: Dataset, variables: list[dict[str, Any]]) -> dict[str, Any] | None:
    if chart.spec(dataset, variables) is None:
        return None
    try:
        warehouse = page.context.warehouse
    except Exception as error:  # no figure without the warehouse; the page is still built
        print(f"dataprodukt catalog: no figures: {error}", file=sys.stderr)
        return None
    return chart.chart(warehouse, dataset, variables)


def _version_changes(page: Page, rows: list[dict[str, Any]]) -> None:
    """Each version's version_description, and what changed in its variables since the stable version before it
    (rows are newest first)."""
    for index, row in enumerate(rows):
        document = (page.documents.get(row["stem"]) or {}).get("datadoc") or {}
        row["version_description"] = _text((document.get("dataset") or {}).get("version_description"))
        row["changes"] = None
        before = next((older for older in rows[index + 1 :] if older["version"]), None)
        older_doc = (page.documents.get(before["stem"]) or {}).get("datadoc") if before else None
        if before is None or not document or not older_doc or not row["version"]:
            continue
        changes = compare(
            before["version"],
            [shape(item) for item in older_doc.get("variables") or []],
            [shape(item) for item in document.get("variables") or []],
        )
        row["changes"] = changes.as_dict()


def _latest(versions: list[Dataset]) -> Dataset:
    for dataset in versions:
        if dataset.version == dataset.latest_version:
            return dataset
    return max(versions, key=lambda dataset: dataset.version or 0)


def _version_entry(page: Page, dataset: Dataset) -> dict[str, Any]:
    doc_file = dataset.storage_path.with_name(f"{dataset.stem}{sources.DOC_SUFFIX}")
    return {
        "version": dataset.version,
        "stem": dataset.stem,
        "period_from": dataset.period_from,
        "period_to": dataset.period_to,
        "stable": dataset.is_stable,
        "in_project": True,
        "relation": ".".join(part for part in dataset.relation[1:] if part),
        "data_file": page.link(dataset.storage_path),
        "data_exists": page.storage.exists(dataset.storage_path),
        "doc_file": page.link(doc_file),
        "doc_exists": dataset.stem in page.documents,
        "published": _published(page.register.get(dataset.stem)),
        "run": _run_entry(page.status.get(dataset.unique_id)),
    }


def _document_only_version(page: Page, stem: str, parts: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    doc_file = PurePosixPath(document["path"])
    data_file = doc_file.with_name(f"{stem}.parquet")
    return {
        "version": parts["version"],
        "stem": stem,
        "period_from": parts["period_from"],
        "period_to": parts["period_to"],
        "stable": bool(parts["version"]),
        "in_project": False,
        "relation": "",
        "data_file": page.link(data_file),
        "data_exists": page.storage.exists(data_file),
        "doc_file": page.link(doc_file),
        "doc_exists": True,
        "published": _published(page.register.get(stem)),
        "run": None,
    }


def _published(record: Record | None) -> dict[str, Any] | None:
    """What the register says of a published version (None: not published)."""
    if record is None:
        return None
    return {
        "rows": record.row_count,
        "checksum": record.content_checksum,
        "commit": record.git_commit,
        "published_at": record.published_at,
        "registered": True,
    }


def _variables(page: Page, dataset: Dataset, documented: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Variables from the Datadoc document, in column order, with dbt's descriptions and meta beside them, and the
    source columns each is computed from."""
    catalog = page.catalog
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
        meta = node_meta(column)
        variables.append(
            {
                "short_name": name,
                "name": _text(variable.get("name")),
                "description": str(column.get("description") or ""),
                "comment": _text(variable.get("comment")),
                "data_type": str(
                    variable.get("data_type")
                    or datadoc_type(column_kind(warehouse_types.get(name.lower()) or column.get("data_type")))
                    or ""
                ),
                "role": str(variable.get("variable_role") or meta.get("variable_role") or ""),
                "personal_data": _personal(variable, meta),
                "measurement_unit": str(variable.get("measurement_unit") or meta.get("measurement_unit") or ""),
                "classification": classification(
                    page.lists, variable.get("classification_uri") or meta.get("classification_uri")
                ),
                "definition_uri": links.browser_url(variable.get("definition_uri") or meta.get("definition_uri")),
                "unit_type": str(variable.get("unit_type") or ""),
                "data_source": str(variable.get("data_source") or ""),
                "temporality": str(variable.get("temporality_type") or ""),
                "sources": sorted(page.columns.label(item) for item in page.columns.origins(dataset.unique_id, name)),
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
