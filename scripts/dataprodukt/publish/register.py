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


def record_path(product: str, state_folder: str, stem: str) -> PurePosixPath:
    """``<product>/publisering/<state>/<stem>.json``: one record file per published version, written once."""
    return PurePosixPath(product, FOLDER, state_folder, f"{stem}.json")


def manifest_path(product: str) -> PurePosixPath:
    return PurePosixPath(product, FOLDER, "manifest.json")


def stored_records(storage: Storage, product: str) -> list[Record]:
    """Every record file publish wrote for a product, oldest publication first."""
    records = []
    for path in storage.walk(PurePosixPath(product, FOLDER)):
        if path.endswith(".json") and path != str(manifest_path(product)):
            records.append(Record.from_row(json.loads(storage.read_bytes(path))))
    return sorted(records, key=lambda record: (record.published_at, record.dataset))
