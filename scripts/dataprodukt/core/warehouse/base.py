"""What the tooling needs from a warehouse, and the part every SQL engine shares.

The tooling keeps a few tables of its own (the load log, the publication register, the run log, the Datadoc
catalog). Each is declared once as a :class:`Table` with portable column kinds; every engine creates, fills and
reads it the same way, with bound parameters (never values pasted into SQL). Everything that differs between
engines lives in the engine modules beside this one.
"""

from __future__ import annotations

import codecs
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

# a portable column kind -> the engine's type, per engine (see each engine's TYPES)
KINDS = ("text", "int", "float", "bool", "timestamp", "json")
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Table:
    """A table the tooling owns: schema, name, columns as (name, kind), and the key an upsert replaces by."""

    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [f"{name} {kind}" for name, kind in self.columns if kind not in KINDS]
        if unknown:
            raise ValueError(f"table {self.schema}.{self.name}: unknown column kind(s) {', '.join(unknown)}")

    @property
    def names(self) -> list[str]:
        return [name for name, _kind in self.columns]

    def kind(self, column: str) -> str:
        return dict(self.columns)[column]


@dataclass(frozen=True)
class RawFile:
    """An extract to load into a raw table as delivered: a CSV's fields stay text, a parquet file keeps its types.

    ``columns`` are the file's columns in order: its header, or the declared columns when it has none.
    """

    path: Path
    columns: tuple[str, ...]
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    header: bool = True
    quote: str = '"'

    @classmethod
    def of(cls, value: RawFile | tuple[Path, Sequence[str]]) -> RawFile:
        """A RawFile, or a (path, header columns) pair for a UTF-8, comma-separated CSV file with a header."""
        if isinstance(value, RawFile):
            return value
        path, columns = value
        return cls(Path(path), tuple(columns))

    @property
    def codec(self) -> str:
        """The encoding's canonical Python name (latin-1 and iso-8859-1 are one codec: ``iso8859-1``)."""
        return codecs.lookup(self.encoding).name

    def as_utf8(self, folder: Path) -> RawFile:
        """This file re-encoded as UTF-8 into ``folder`` (streamed), for an engine that can't read its encoding."""
        if self.codec == "utf-8":
            return self
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (self.path.name + ".utf8")
        with (
            self.path.open("r", encoding=self.encoding, newline="") as source,
            target.open("w", encoding="utf-8", newline="") as out,
        ):
            shutil.copyfileobj(source, out, 1 << 20)
        return RawFile(target, self.columns, self.format, self.delimiter, "utf-8", self.header, self.quote)


RawFiles = Mapping[str, "RawFile | tuple[Path, Sequence[str]]"]


class Warehouse(Protocol):
    """The operations the tooling uses on a target, the same on every engine."""

    kind: str

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None: ...

    def arrow(self, sql: str) -> Any:
        """A query's rows as a pyarrow Table."""
        ...

    def quote(self, *parts: str) -> str:
        """A qualified name, each part quoted as this engine quotes identifiers."""
        ...

    def text_literal(self, value: str) -> str:
        """``value`` as a string literal in this engine's SQL."""
        ...

    def list_tables(self, schema: str) -> list[str]: ...

    def relation_columns(self, schema: str, name: str, database: str | None = None) -> list[tuple[str, str]]:
        """(column, type) of a table or view in order; empty when it does not exist. ``database``: another
        database (BigQuery: project) than the target's, where the engine can read one."""
        ...

    def sample_values(self, schema: str, table: str, column: str, limit: int = 10_000) -> list[str]:
        """Up to ``limit`` distinct non-empty values of a column, as text."""
        ...

    def view_definition(self, schema: str, view: str) -> str | None: ...

    def replace_view(self, schema: str, view: str, select: str) -> None: ...

    def ensure_table(self, table: Table) -> None:
        """Create the schema and the table unless they exist."""
        ...

    def insert(self, table: Table, rows: Sequence[Row]) -> None:
        """Append rows (missing columns are null); creates the table first."""
        ...

    def upsert(self, table: Table, rows: Sequence[Row]) -> None:
        """Replace the rows with the same key, all at once; creates the table first."""
        ...

    def replace_rows(self, table: Table, rows: Sequence[Row]) -> None:
        """Make the table hold exactly these rows, all at once; creates the table first."""
        ...

    def load_rows(self, table: Table, rows: Sequence[Row]) -> None:
        """As ``replace_rows``, through the engine's bulk load: the values travel as data, never in the text of a
        statement, so no query log or job history can hold them (for secrets)."""
        ...

    def select(self, table: Table, where: Row | None = None) -> list[dict[str, Any]]:
        """Rows of a tooling table (``where``: column = value, all of them); empty when it does not exist."""
        ...

    def replace_tables(self, schema: str, files: RawFiles) -> dict[str, int]:
        """Replace each table's content with its extract (CSV or parquet, in bulk), all or nothing; return rows per
        table. A bare (path, columns) pair is a UTF-8, comma-separated CSV file with a header."""
        ...

    # comparing relations (core/warehouse/compare.py): the pieces of its SQL that differ between engines

    def row_hash(self, expressions: Sequence[str]) -> str:
        """A 64-bit integer hash of the values of ``expressions`` (nulls included), as SQL."""
        ...

    def hash_total(self, expression: str) -> str:
        """An aggregate summing ``row_hash`` values without overflow, as SQL."""
        ...

    def bucket(self, expression: str, buckets: int) -> str:
        """An integer in ``(-buckets, buckets)`` from a hash, as SQL."""
        ...

    def as_text(self, expression: str) -> str: ...

    def hash_version(self) -> str:
        """What the hashes depend on (the engine and, where they may change, its version)."""
        ...

    def create_table_as(self, schema: str, name: str, select: str) -> None:
        """Create (or replace) a table from a query, creating its schema when needed."""
        ...

    def drop_table(self, schema: str, name: str) -> None: ...

    def close(self) -> None: ...


def standard_text_literal(value: str) -> str:
    """A standard SQL string literal (DuckDB, PostgreSQL): a quote is doubled, everything else is as it is."""
    return "'" + value.replace("'", "''") + "'"


def standard_quote(*parts: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def utc_naive(value: Any) -> Any:
    """Timestamps are stored in UTC without a zone (the columns are ``timestamp``)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def timestamp_value(value: Any) -> Any:
    """A timestamp column's value: ISO text is read as a time, and every time is UTC without a zone."""
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    return utc_naive(value)


class SqlWarehouse:
    """What DuckDB and PostgreSQL share: information_schema, standard quoting, a DB-API connection.

    An engine sets ``kind``, ``TYPES`` (portable kind -> DDL type), ``placeholder`` (its bound-parameter mark)
    and ``connection``.
    """

    kind = "sql"
    TYPES: ClassVar[dict[str, str]] = {}
    placeholder = "?"
    connection: Any

    def text_literal(self, value: str) -> str:
        return standard_text_literal(value)

    def quote(self, *parts: str) -> str:
        return standard_quote(*parts)

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def list_tables(self, schema: str) -> list[str]:
        rows = self.query(
            "select table_name from information_schema.tables "
            f"where lower(table_schema) = lower({self.placeholder}) order by table_name",
            [schema],
        )
        return [str(name) for (name,) in rows]

    def relation_columns(self, schema: str, name: str, database: str | None = None) -> list[tuple[str, str]]:
        mark = self.placeholder
        in_database = f" and lower(table_catalog) = lower({mark})" if database else ""
        rows = self.query(
            "select column_name, data_type from information_schema.columns "
            f"where lower(table_schema) = lower({mark}) and lower(table_name) = lower({mark}){in_database} "
            "order by ordinal_position",
            [schema, name, *([database] if database else [])],
        )
        return [(str(column), str(kind)) for column, kind in rows]

    def sample_values(self, schema: str, table: str, column: str, limit: int = 10_000) -> list[str]:
        name = self.quote(column)
        rows = self.query(
            f"select distinct cast({name} as {self.TYPES['text']}) from {self.quote(schema, table)} "
            f"where {name} is not null limit {int(limit)}"
        )
        return [str(value) for (value,) in rows if value is not None and str(value).strip() != ""]

    def view_definition(self, schema: str, view: str) -> str | None:
        rows = self.query(
            "select view_definition from information_schema.views "
            f"where table_schema = {self.placeholder} and table_name = {self.placeholder}",
            [schema, view],
        )
        return str(rows[0][0]) if rows else None

    def replace_view(self, schema: str, view: str, select: str) -> None:
        self.execute(f"create or replace view {self.quote(schema, view)} as {select}")

    def ensure_table(self, table: Table) -> None:
        columns = ", ".join(f"{self.quote(name)} {self.TYPES[kind]}" for name, kind in table.columns)
        self.execute(f"create schema if not exists {self.quote(table.schema)}")
        self.execute(f"create table if not exists {self.quote(table.schema, table.name)} ({columns})")
        # a table made by an earlier version of the tooling gets the columns added since
        existing = {name.lower() for name, _kind in self.relation_columns(table.schema, table.name)}
        table_name = self.quote(table.schema, table.name)
        for name, kind in table.columns:
            if name.lower() not in existing:
                self.execute(f"alter table {table_name} add column {self.quote(name)} {self.TYPES[kind]}")

    def hash_total(self, expression: str) -> str:
        return f"sum({expression})"

    def bucket(self, expression: str, buckets: int) -> str:
        return f"({expression}) % {int(buckets)}"

    def as_text(self, expression: str) -> str:
        return f"cast({expression} as {self.TYPES['text']})"

    def create_table_as(self, schema: str, name: str, select: str) -> None:
        self.execute(f"create schema if not exists {self.quote(schema)}")
        with self.transaction():
            self.execute(f"drop table if exists {self.quote(schema, name)}")
            self.execute(f"create table {self.quote(schema, name)} as {select}")

    def drop_table(self, schema: str, name: str) -> None:
        self.execute(f"drop table if exists {self.quote(schema, name)}")

    def _values(self, table: Table, rows: Sequence[Row]) -> list[list[Any]]:
        return [[self.bind(table.kind(name), row.get(name)) for name in table.names] for row in rows]

    def bind(self, kind: str, value: Any) -> Any:
        """A Python value as this engine's driver binds it for a column of ``kind``."""
        return timestamp_value(value) if kind == "timestamp" else value

    def _insert_sql(self, table: Table) -> str:
        names = ", ".join(self.quote(name) for name in table.names)
        marks = ", ".join([self.placeholder] * len(table.names))
        return f"insert into {self.quote(table.schema, table.name)} ({names}) values ({marks})"

    def insert(self, table: Table, rows: Sequence[Row]) -> None:
        self.ensure_table(table)
        if rows:
            self.executemany(self._insert_sql(table), self._values(table, rows))

    def upsert(self, table: Table, rows: Sequence[Row]) -> None:
        if not table.key:
            raise ValueError(f"table {table.schema}.{table.name} has no key to upsert by")
        self.ensure_table(table)
        where = " and ".join(f"{self.quote(name)} = {self.placeholder}" for name in table.key)
        with self.transaction():
            for row in rows:
                self.execute(
                    f"delete from {self.quote(table.schema, table.name)} where {where}",
                    [row.get(name) for name in table.key],
                )
            if rows:
                self.executemany(self._insert_sql(table), self._values(table, rows))

    def replace_rows(self, table: Table, rows: Sequence[Row]) -> None:
        self.ensure_table(table)
        with self.transaction():
            self.execute(f"delete from {self.quote(table.schema, table.name)}")
            if rows:
                self.executemany(self._insert_sql(table), self._values(table, rows))

    def load_rows(self, table: Table, rows: Sequence[Row]) -> None:
        # the driver binds the values to a prepared statement: they never become SQL text
        self.replace_rows(table, rows)

    def transaction(self) -> Any:
        raise NotImplementedError

    def select(self, table: Table, where: Row | None = None) -> list[dict[str, Any]]:
        if not self.relation_columns(table.schema, table.name):
            return []
        conditions = " and ".join(f"{self.quote(name)} = {self.placeholder}" for name in (where or {}))
        names = ", ".join(self.quote(name) for name in table.names)
        sql = f"select {names} from {self.quote(table.schema, table.name)}"
        rows = self.query(sql + (f" where {conditions}" if conditions else ""), list((where or {}).values()))
        return [dict(zip(table.names, row, strict=True)) for row in rows]
