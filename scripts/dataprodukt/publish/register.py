"""The publication register: what is published, read and written in one place.

Two copies of each record: a row in the warehouse table ``<publication_schema>.register`` (which the
``published_table`` materialization reads before every build) and a JSON file in storage,
``<product>/publisering/<state>/<stem>.json``, written once beside the manifest of the last publication
(``<product>/publisering/manifest.json``, the state CI compares the project with). Everything that reads the
register (the publish step, the checks, the catalog page) reads it through this module.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from dataprodukt.core.storage import Storage
from dataprodukt.core.warehouse import Table, Warehouse
from dataprodukt.core.warehouse.base import utc_naive

REGISTER_TABLE = "register"
# code changes proven not to change a published version's data: the text fingerprints its build accepts besides
# the published one (macros/versioning/publication_record.sql reads them)
ACCEPTED_TABLE = "kodeendringer"
ACCEPTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("relation_schema", "text"),
    ("relation_name", "text"),
    ("dataset", "text"),
    ("sql_fingerprint", "text"),
    ("code_fingerprint", "text"),
    ("change", "text"),
    ("git_commit", "text"),
    ("accepted_at", "timestamp"),
)
DEFAULT_SCHEMA = "publisering"
# the storage folder below the product holding the record files and the publication's manifest
FOLDER = "publisering"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", "text"),
    ("model", "text"),
    ("version", "int"),
    ("product", "text"),
    ("dataset_state", "text"),
    ("period_from", "text"),
    ("period_to", "text"),
    ("relation_schema", "text"),
    ("relation_name", "text"),
    ("file_path", "text"),
    ("row_count", "int"),
    ("content_checksum", "text"),
    ("code_fingerprint", "text"),
    ("sql_fingerprint", "text"),
    ("git_commit", "text"),
    ("published_at", "timestamp"),
    ("relation_checksum", "text"),
    ("file_checksum", "text"),
    ("change_note", "text"),
)


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
    git_commit: str | None
    published_at: str
    # the relation's rows as the warehouse hashes them (core/warehouse/compare.relation_checksum), the sha256 of
    # the file (or of its partitions), and for a correction the change in the data since the previous version
    relation_checksum: str = ""
    file_checksum: str = ""
    change_note: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        """A record from a register row or a record file, each value in its field's type."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            value = row.get(field.name)
            if field.name in {"version", "row_count"}:
                values[field.name] = int(value or 0)
            elif field.name == "git_commit":
                values[field.name] = str(value) if value else None
            elif field.name == "published_at" and isinstance(value, datetime):
                # as publish writes it, whatever the engine returns: UTC, no zone
                values[field.name] = utc_naive(value).isoformat(timespec="seconds")
            else:
                values[field.name] = "" if value is None else str(value)
        return cls(**values)


def register_table(schema: str = DEFAULT_SCHEMA) -> Table:
    return Table(schema, REGISTER_TABLE, COLUMNS, key=("relation_schema", "relation_name"))


def accepted_table(schema: str = DEFAULT_SCHEMA) -> Table:
    return Table(schema, ACCEPTED_TABLE, ACCEPTED_COLUMNS, key=("relation_schema", "relation_name", "sql_fingerprint"))


class Register:
    """The warehouse table of the register."""

    def __init__(self, warehouse: Warehouse, schema: str = DEFAULT_SCHEMA) -> None:
        self.warehouse = warehouse
        self.table = register_table(schema)

    def ensure(self) -> None:
        self.warehouse.ensure_table(self.table)

    def records(self) -> list[Record]:
        rows = self.warehouse.select(self.table)
        return sorted((Record.from_row(row) for row in rows), key=lambda record: record.dataset)

    def add(self, record: Record) -> None:
        self.warehouse.insert(self.table, [asdict(record)])

    def accepted(self) -> dict[tuple[str, str], set[str]]:
        """(schema, relation) -> the text fingerprints accepted besides the published one."""
        found: dict[tuple[str, str], set[str]] = {}
        for row in self.warehouse.select(accepted_table(self.table.schema)):
            found.setdefault((str(row["relation_schema"]), str(row["relation_name"])), set()).add(
                str(row["sql_fingerprint"])
            )
        return found

    def accept(self, rows: list[dict[str, Any]]) -> None:
        """Record code texts proven to give a published version's data (one row per relation and text)."""
        if rows:
            self.warehouse.upsert(accepted_table(self.table.schema), rows)


def record_path(product: str, state_folder: str, stem: str) -> PurePosixPath:
    """``<product>/publisering/<state>/<stem>.json``: one record file per published version, written once."""
    return PurePosixPath(product, FOLDER, state_folder, f"{stem}.json")


def manifest_path(product: str) -> PurePosixPath:
    return PurePosixPath(product, FOLDER, "manifest.json")


def is_record_path(path: str) -> bool:
    """``<product>/publisering/<state>/<stem>.json``: not the manifest, not a diff report (``<stem>__diff.json``)."""
    parts = PurePosixPath(path).parts
    return len(parts) == 4 and parts[1] == FOLDER and parts[3].endswith(".json") and "__" not in parts[3]


def report_path(product: str, state_folder: str, stem: str, kind: str = "diff") -> PurePosixPath:
    """Beside the record: ``<stem>__diff.json`` (the published data against a candidate built from today's data)
    and ``<stem>__changes.json`` (a new version's data against the version before it, kept at its publication)."""
    return PurePosixPath(product, FOLDER, state_folder, f"{stem}__{kind}.json")


def stored_records(storage: Storage, product: str) -> list[Record]:
    """Every record file publish wrote for a product, oldest publication first."""
    records = []
    for path in storage.walk(PurePosixPath(product, FOLDER)):
        if is_record_path(path):
            records.append(Record.from_row(json.loads(storage.read_bytes(path))))
    return sorted(records, key=lambda record: (record.published_at, record.dataset))
