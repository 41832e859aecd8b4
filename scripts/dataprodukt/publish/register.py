"""The publication register: what is published, and the fingerprint of the code that made it.

Two copies of each record: a row in the warehouse table ``<publication_schema>.register`` (which the
``published_table`` materialization reads before every build) and a JSON file in storage,
``<product>/publisering/<state>/<stem>.json``, written once beside the manifest of the last publication
(``<product>/publisering/manifest.json``, the state CI compares the project with).

Fingerprints:
- ``sql_fingerprint``: md5 of the model's compiled SQL and its declared columns (``name:data_type`` lines); the
  materialization computes the same in Jinja (macros/versioning/sql_fingerprint.sql).
- ``code_fingerprint``: sha256 of the sql fingerprint and the fingerprints of every upstream model, seed and
  snapshot definition, so a change anywhere upstream in the code shows.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from dataprodukt.core.warehouse import Warehouse

REGISTER_TABLE = "register"
DEFAULT_SCHEMA = "publisering"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", "text"),
    ("model", "text"),
    ("version", "integer"),
    ("product", "text"),
    ("dataset_state", "text"),
    ("period_from", "text"),
    ("period_to", "text"),
    ("relation_schema", "text"),
    ("relation_name", "text"),
    ("file_path", "text"),
    ("row_count", "bigint"),
    ("content_checksum", "text"),
    ("code_fingerprint", "text"),
    ("sql_fingerprint", "text"),
    ("git_commit", "text"),
    ("published_at", "timestamp"),
)
TYPES = {
    "duckdb": {"text": "varchar", "integer": "integer", "bigint": "bigint", "timestamp": "timestamp"},
    "postgres": {"text": "text", "integer": "integer", "bigint": "bigint", "timestamp": "timestamp"},
    "bigquery": {"text": "string", "integer": "int64", "bigint": "int64", "timestamp": "timestamp"},
}


@dataclass(frozen=True)
class Record:
    """One published dataset version."""

    dataset: str
    model: str
    version: int
    product: str
    dataset_state: str
    period_from: str
    period_to: str
    relation_schema: str
    relation_name: str
    file_path: str
    row_count: int
    content_checksum: str
    code_fingerprint: str
    sql_fingerprint: str
    git_commit: str
    published_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def sql_fingerprint(node: dict[str, Any]) -> str:
    lines = [f"{name}:{column.get('data_type') or ''}" for name, column in (node.get("columns") or {}).items()]
    text = str(node.get("compiled_code") or "").strip() + "\n" + "\n".join(lines)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def code_fingerprint(manifest: dict[str, Any], unique_id: str, _memo: dict[str, str] | None = None) -> str:
    """The fingerprint of a node's code and of everything upstream of it (sources are data, not code)."""
    memo = {} if _memo is None else _memo
    if unique_id in memo:
        return memo[unique_id]
    node = manifest.get("nodes", {}).get(unique_id)
    if node is None:
        return ""
    if node.get("resource_type") == "model":
        own = sql_fingerprint(node)
    else:  # seeds (code lists) and snapshot definitions: dbt's checksum of the file
        own = str((node.get("checksum") or {}).get("checksum", "")) + json.dumps(
            node.get("config", {}).get("unique_key"), sort_keys=True
        )
    parents = sorted(
        code_fingerprint(manifest, parent, memo)
        for parent in (node.get("depends_on") or {}).get("nodes", [])
        if parent.startswith(("model.", "seed.", "snapshot."))
    )
    memo[unique_id] = hashlib.sha256("\n".join([own, *parents]).encode("utf-8")).hexdigest()
    return memo[unique_id]


def git_commit(root: Path) -> str:
    """The commit the code was at (with -dirty when files differ), or 'unknown' outside a git repository."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _literal(warehouse: Warehouse, value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return warehouse.text_literal(str(value))


class Register:
    """The warehouse table of the register."""

    def __init__(self, warehouse: Warehouse, schema: str = DEFAULT_SCHEMA) -> None:
        self.warehouse = warehouse
        self.schema = schema
        self.table = f"{schema}.{REGISTER_TABLE}"

    def ensure(self) -> None:
        types = TYPES.get(self.warehouse.kind, TYPES["postgres"])
        columns = ", ".join(f"{name} {types[kind]}" for name, kind in COLUMNS)
        location = getattr(self.warehouse, "location", None) if self.warehouse.kind == "bigquery" else None
        # on BigQuery beside the product's datasets, so one query can read both
        options = f" options (location = {self.warehouse.text_literal(location)})" if location else ""
        self.warehouse.execute(f"create schema if not exists {self.schema}{options}")
        self.warehouse.execute(f"create table if not exists {self.table} ({columns})")

    def records(self) -> list[Record]:
        names = [name for name, _kind in COLUMNS]
        rows = self.warehouse.query(f"select {', '.join(names)} from {self.table} order by dataset")
        kinds = dict(COLUMNS)

        def clean(name: str, value: object) -> Any:
            if value is None:
                return 0 if kinds[name] in {"integer", "bigint"} else ""
            return int(str(value)) if kinds[name] in {"integer", "bigint"} else str(value)

        return [Record(**{name: clean(name, value) for name, value in zip(names, row, strict=True)}) for row in rows]

    def add(self, record: Record) -> None:
        values = asdict(record)
        types = dict(COLUMNS)
        literals = [
            f"cast({_literal(self.warehouse, values[name])} as timestamp)"
            if types[name] == "timestamp"
            else _literal(self.warehouse, values[name])
            for name, _kind in COLUMNS
        ]
        self.warehouse.execute(
            f"insert into {self.table} ({', '.join(name for name, _kind in COLUMNS)}) values ({', '.join(literals)})"
        )


def record_path(product: str, state_folder: str, stem: str) -> PurePosixPath:
    """``<product>/publisering/<state>/<stem>.json``: one record file per published version, written once."""
    return PurePosixPath(product, "publisering", state_folder, f"{stem}.json")


def manifest_path(product: str) -> PurePosixPath:
    return PurePosixPath(product, "publisering", "manifest.json")
