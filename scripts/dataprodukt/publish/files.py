"""Export a published relation to parquet: one file ``<stem>.parquet``, or hive partitions
``<stem>/<key>=<value>/data.parquet`` when the model's ``meta.storage_partition_by`` names a column.

Rows are read in a fixed order (every column, in order) so the same content gives the same file, and the
content checksum is order-independent, so it identifies the data whatever the warehouse returns first.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.storage import Storage
from dataprodukt.core.warehouse import Warehouse


@dataclass(frozen=True)
class Content:
    table: Any  # pyarrow.Table
    row_count: int
    checksum: str


def read_query(warehouse: Warehouse, sql: str) -> Content:
    """Rows of a query as an Arrow table, with their count and an order-independent checksum."""
    table = warehouse.arrow(sql)
    return Content(table, table.num_rows, content_checksum(table))


def read_relation(warehouse: Warehouse, schema: str, name: str) -> Content:
    columns = warehouse.relation_columns(schema, name)
    if not columns:
        raise UserError(f"relation {schema}.{name} does not exist: run `dataprodukt run` (or dbt build) first")
    order = ", ".join(str(position) for position in range(1, len(columns) + 1))
    return read_query(warehouse, f"select * from {warehouse.quote(schema, name)} order by {order}")


def _canonical(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else "NaN"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def content_checksum(table: Any) -> str:
    """sha256 over the sorted rows (column names first), each value written canonically."""
    names = list(table.column_names)
    columns = [table.column(name).to_pylist() for name in names]
    lines = sorted("\x1f".join(_canonical(column[i]) for column in columns) for i in range(table.num_rows))
    digest = hashlib.sha256("\x1f".join(names).encode("utf-8"))
    for line in lines:
        digest.update(b"\n" + line.encode("utf-8"))
    return digest.hexdigest()


def parquet_bytes(table: Any) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def partitions(table: Any, column: str) -> list[tuple[str, Any]]:
    """(key=value folder, rows) per value of the partition column, the column itself left out of the file."""
    import pyarrow.compute as pc

    if column not in table.column_names:
        raise UserError(f"meta.storage_partition_by names column {column!r}, which the model does not have")
    parts = []
    for value in sorted({str(value) for value in table.column(column).to_pylist()}):
        rows = table.filter(pc.equal(pc.cast(table.column(column), "string"), value)).drop_columns([column])
        parts.append((f"{column}={value}", rows))
    return parts


def write_versioned(storage: Storage, path: PurePosixPath, content: Content, partition_by: str | None) -> list[str]:
    """Write a versioned dataset once; refuse when any of its files exists. Returns the files written."""
    if not partition_by:
        storage.write_new(path, parquet_bytes(content.table))
        return [str(path)]
    if storage.exists(path):
        storage.write_new(path, b"")  # raises AlreadyStored with the message
    written = []
    for folder, rows in partitions(content.table, partition_by):
        target = path / folder / "data.parquet"
        storage.write_new(target, parquet_bytes(rows))
        written.append(str(target))
    return written


def write_latest(storage: Storage, path: PurePosixPath, content: Content, partition_by: str | None) -> bool:
    """Write or replace an unversioned copy (the latest, or a v0); False when it was the same already."""
    if not partition_by:
        return storage.replace(path, parquet_bytes(content.table))
    changed = False
    for folder, rows in partitions(content.table, partition_by):
        changed = storage.replace(path / folder / "data.parquet", parquet_bytes(rows)) or changed
    return changed
