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


def versioned_files(path: PurePosixPath, content: Content, partition_by: str | None) -> dict[PurePosixPath, bytes]:
    """A versioned dataset's files and their bytes: one file, or one ``<column>=<value>/data.parquet`` per value."""
    if not partition_by:
        return {path: parquet_bytes(content.table)}
    return {
        path / folder / "data.parquet": parquet_bytes(rows) for folder, rows in partitions(content.table, partition_by)
    }


def files_checksum(path: PurePosixPath, files: dict[PurePosixPath, bytes]) -> str:
    """sha256 of the data file, or over ``<folder>/data.parquet <sha256>`` lines of every partition file (what the
    register records as ``file_checksum``)."""
    if list(files) == [path]:
        return hashlib.sha256(files[path]).hexdigest()
    lines = [f"{file.relative_to(path).as_posix()} {hashlib.sha256(data).hexdigest()}" for file, data in files.items()]
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


def write_versioned(
    storage: Storage,
    path: PurePosixPath,
    content: Content,
    partition_by: str | None,
    prepared: dict[PurePosixPath, bytes] | None = None,
) -> list[str]:
    """Write a versioned dataset once (``prepared``: its ``versioned_files``, when made already); refuse when any
    of its files exists. Returns the files written."""
    files = prepared if prepared is not None else versioned_files(path, content, partition_by)
    if partition_by and storage.exists(path):
        storage.write_new(path, b"")  # raises AlreadyStored with the message
    for target, data in files.items():
        storage.write_new(target, data)
    return [str(target) for target in files]


def write_latest(storage: Storage, path: PurePosixPath, content: Content, partition_by: str | None) -> bool:
    """Write or replace an unversioned copy (the latest, or a v0); False when it was the same already."""
    if not partition_by:
        return storage.replace(path, parquet_bytes(content.table))
    changed = False
    for folder, rows in partitions(content.table, partition_by):
        changed = storage.replace(path / folder / "data.parquet", parquet_bytes(rows)) or changed
    return changed
