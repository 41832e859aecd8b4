"""What the catalog page is made of, read from where each fact lives.

- Datadoc documents (``build/catalog/*.json`` and ``<stem>__DOC.json`` beside the data files in storage):
  dataset and variable metadata, one document per dataset version;
- the publication register (a record file in storage, or a table in the warehouse), when there is one:
  which versions are published, with row count, checksum, commit and time;
- dbt's manifest.json: descriptions, columns and lineage (upstream and downstream), and a fallback for the
  metadata of a version that has no Datadoc document yet;
- the run log (``drift``): the latest run status per model.
Each reader returns plain dicts and says nothing is there rather than failing: the page shows what exists.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dataprodukt.core.project import Project

STEM = re.compile(
    r"^(?P<description>[A-Za-z0-9-]+)_p(?P<period_from>[^_]+)(?:_p(?P<period_to>[^_]+))?(?:_v(?P<version>\d+))?$"
)
DOC_SUFFIX = "__DOC.json"
# register files and tables, by the names a publication step may give them
REGISTER_FILES = ("publiseringsregister.jsonl", "publiseringsregister.json", "register.jsonl", "register.json")
REGISTER_TABLES = ("publiseringsregister", "publiseringer", "publication_register", "register")
# field aliases in a register record -> the name used here
REGISTER_FIELDS = {
    "dataset": ("dataset", "dataset_name", "name", "model", "short_name"),
    "stem": ("stem", "file_name", "filename", "file", "path", "storage_path"),
    "version": ("version", "dataset_version"),
    "period_from": ("period_from", "contains_data_from"),
    "period_to": ("period_to", "contains_data_until"),
    "rows": ("rows", "row_count", "num_rows", "rader"),
    "checksum": ("checksum", "sha256", "md5"),
    "commit": ("commit", "git_commit"),
    "published_at": ("published_at", "time", "timestamp", "publisert", "created_at"),
}


def parse_stem(stem: str) -> dict[str, Any] | None:
    """``sykefravaer_p2024-Q1_p2024-Q4_v1`` -> description, periods and version (None when not an SSB name)."""
    match = STEM.match(stem)
    if not match:
        return None
    parts: dict[str, Any] = match.groupdict()
    parts["version"] = int(parts["version"]) if parts["version"] is not None else None
    return parts


def storage_root(project: Project) -> Path:
    return project.build_dir / "storage"


def catalog_dir(project: Project) -> Path:
    return project.build_dir / "catalog"


def datadoc_documents(project: Project) -> dict[str, dict[str, Any]]:
    """Datadoc documents by dataset stem; a document beside the data file wins over the catalog folder's copy."""
    found: dict[str, dict[str, Any]] = {}
    candidates: list[tuple[Path, str | None]] = []
    folder = catalog_dir(project)
    if folder.is_dir():
        candidates += [(path, None) for path in sorted(folder.glob("*.json")) if path.name != "index.json"]
    storage = storage_root(project)
    if storage.is_dir():
        candidates += [(path, str(path)) for path in sorted(storage.rglob(f"*{DOC_SUFFIX}"))]
    for path, beside_data in candidates:
        document = _read_json(path)
        datadoc = _datadoc_part(document)
        if datadoc is None:
            continue
        stem = _document_stem(path, datadoc)
        if stem is None:
            continue
        entry = {"datadoc": datadoc, "path": str(path)}
        if beside_data:
            entry["doc_file"] = beside_data
        found[stem] = {**found.get(stem, {}), **entry}
    return found


def _datadoc_part(document: Any) -> dict[str, Any] | None:
    """The ``datadoc`` part of a MetadataContainer (or a bare DatadocMetadata document)."""
    if not isinstance(document, dict):
        return None
    datadoc = document.get("datadoc", document)
    if not isinstance(datadoc, dict) or not isinstance(datadoc.get("dataset"), dict):
        return None
    return datadoc


def _document_stem(path: Path, datadoc: dict[str, Any]) -> str | None:
    name = path.name.removesuffix(DOC_SUFFIX).removesuffix(".json")
    if parse_stem(name):
        return name
    dataset = datadoc["dataset"]
    for value in (dataset.get("file_path"), dataset.get("short_name")):
        if isinstance(value, str) and value:
            candidate = Path(value).name.split(".")[0]
            if parse_stem(candidate):
                return candidate
    return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"dataprodukt catalog: skipped {path}: not readable JSON ({error})", file=sys.stderr)
        return None


def register_records(project: Project) -> list[dict[str, Any]]:
    """Publication register records, from storage's record file or the warehouse; [] when there is none."""
    records = _register_from_files(project)
    if records:
        return records
    return _register_from_warehouse(project)


def _register_from_files(project: Project) -> list[dict[str, Any]]:
    storage = storage_root(project)
    if not storage.is_dir():
        return []
    paths = [path for name in REGISTER_FILES for path in sorted(storage.rglob(name))]
    records: list[dict[str, Any]] = []
    for path in paths:
        text = _text(path)
        if text is None:
            continue
        if path.suffix == ".jsonl":
            rows: Iterable[Any] = (_loads(line) for line in text.splitlines() if line.strip())
        else:
            loaded = _loads(text)
            rows = loaded if isinstance(loaded, list) else (loaded or {}).get("records", [])
        records += [normalise(row) for row in rows if isinstance(row, dict)]
    return records


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _register_from_warehouse(project: Project) -> list[dict[str, Any]]:
    from dataprodukt.core.warehouse import connected

    try:
        with connected(project) as warehouse:
            if warehouse.kind not in {"duckdb", "postgres"}:
                return []
            names = ", ".join(f"'{name}'" for name in REGISTER_TABLES)
            tables = warehouse.query(
                f"select table_schema, table_name from information_schema.tables where table_name in ({names}) "
                "order by table_schema, table_name"
            )
            if not tables:
                return []
            schema, table = tables[0]
            columns = [
                str(name)
                for (name,) in warehouse.query(
                    "select column_name from information_schema.columns "
                    f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
                )
            ]
            rows = warehouse.query(f"select * from {schema}.{table}")
    except Exception as error:  # the page is built without it; say so
        print(f"dataprodukt catalog: publication register not read from the warehouse: {error}", file=sys.stderr)
        return []
    return [normalise(dict(zip(columns, row, strict=False))) for row in rows]


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """A register record with the field names used here; unknown fields are kept as they are."""
    lowered = {str(key).lower(): value for key, value in record.items()}
    result: dict[str, Any] = {}
    for field, aliases in REGISTER_FIELDS.items():
        for alias in aliases:
            if lowered.get(alias) not in (None, ""):
                result[field] = lowered[alias]
                break
    if "stem" in result:
        result["stem"] = Path(str(result["stem"])).name.split(".parquet")[0].removesuffix(DOC_SUFFIX)
    if "version" in result:
        text = str(result["version"]).lstrip("v")
        result["version"] = int(text) if text.isdigit() else None
    for field in ("published_at", "period_from", "period_to"):
        if field in result:
            result[field] = str(result[field])
    return result


def lineage(manifest: dict[str, Any], unique_id: str) -> dict[str, list[dict[str, str]]]:
    """Direct upstream and downstream nodes (tests left out) and every source the node is built from."""
    parents = manifest.get("parent_map") or {}
    children = manifest.get("child_map") or {}

    def describe(node_id: str) -> dict[str, str]:
        node = (manifest.get("nodes") or {}).get(node_id) or (manifest.get("sources") or {}).get(node_id) or {}
        kind = node_id.split(".", 1)[0]
        if kind == "source":
            name = f"{node.get('source_name', '')}.{node.get('name', '')}"
        else:
            version = node.get("version")
            name = str(node.get("name", node_id.split(".")[-1])) + (f" v{version}" if version is not None else "")
        return {"id": node_id, "name": name, "type": kind, "description": str(node.get("description") or "")}

    def wanted(node_id: str) -> bool:
        return node_id.split(".", 1)[0] in {"model", "seed", "snapshot", "source", "exposure"}

    upstream = [describe(item) for item in parents.get(unique_id, []) if wanted(item)]
    downstream = [describe(item) for item in children.get(unique_id, []) if wanted(item)]
    sources: set[str] = set()
    seen: set[str] = set()
    pending = list(parents.get(unique_id, []))
    while pending:
        item = pending.pop()
        if item in seen:
            continue
        seen.add(item)
        if item.startswith("source."):
            sources.add(item)
        pending += parents.get(item, [])
    return {
        "upstream": sorted(upstream, key=lambda node: node["name"]),
        "downstream": sorted(downstream, key=lambda node: node["name"]),
        "sources": sorted((describe(item) for item in sources), key=lambda node: node["name"]),
    }
