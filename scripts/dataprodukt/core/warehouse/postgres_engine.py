"""PostgreSQL: a real server, reached with the credentials dbt renders from the profile."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse.base import RawFile, RawFiles, Row, SqlWarehouse, Table


class PostgresWarehouse(SqlWarehouse):
    kind = "postgres"
    TYPES: ClassVar[dict[str, str]] = {
        "text": "text",
        "int": "bigint",
        "float": "double precision",
        "bool": "boolean",
        "timestamp": "timestamp",
        "json": "jsonb",
    }
    placeholder = "%s"

    def __init__(self, credentials: Any) -> None:
        import psycopg2

        self.credentials = credentials
        self._depth = 0
        try:
            self.connection = psycopg2.connect(
                host=credentials.host,
                port=credentials.port,
                user=credentials.user,
                password=credentials.password,
                dbname=credentials.database,
                connect_timeout=credentials.connect_timeout or 5,
            )
        except psycopg2.OperationalError as error:
            reason = " ".join(str(error).split())
            raise UserError(
                f"can't reach PostgreSQL at {credentials.host}:{credentials.port} as {credentials.user} "
                f"(database {credentials.database}): {reason}. Start the server or set PGHOST/PGPORT/PGUSER/"
                "PGPASSWORD/PGDATABASE (`make test` starts a local one)"
            ) from error

    def _commit(self) -> None:
        if not self._depth:
            self.connection.commit()

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, list(parameters) or None)
                result = list(cursor.fetchall())
        except Exception:
            if not self._depth:
                self.connection.rollback()
            raise
        self._commit()
        return result

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, list(parameters) or None)
        except Exception:
            if not self._depth:
                self.connection.rollback()
            raise
        self._commit()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        from psycopg2.extras import execute_batch

        with self.connection.cursor() as cursor:
            execute_batch(cursor, sql, [list(row) for row in rows], page_size=500)
        self._commit()

    def bind(self, kind: str, value: Any) -> Any:
        if kind == "json" and value is not None and not isinstance(value, str):
            import json

            return json.dumps(value, ensure_ascii=False)
        return super().bind(kind, value)

    def load_rows(self, table: Table, rows: Sequence[Row]) -> None:
        """COPY ... FROM STDIN: psycopg2 writes bound parameters into the statement's text, which a server's
        log_statement or pg_stat_statements would keep; COPY's data goes in its own stream."""
        self.ensure_table(table)
        data = "".join(
            "\t".join(_copy_text(self.bind(table.kind(name), row.get(name))) for name in table.names) + "\n"
            for row in rows
        )
        names = ", ".join(self.quote(name) for name in table.names)
        with self.transaction(), self.connection.cursor() as cursor:
            cursor.execute(f"delete from {self.quote(table.schema, table.name)}")
            cursor.copy_expert(f"copy {self.quote(table.schema, table.name)} ({names}) from stdin", io.StringIO(data))

    def arrow(self, sql: str) -> Any:
        import pyarrow as pa

        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        self._commit()
        return pa.table({name: pa.array([row[i] for row in rows]) for i, name in enumerate(names)})

    def row_hash(self, expressions: Sequence[str]) -> str:
        # the row's text form tells null from an empty value; hashtextextended is the (stable) partitioning hash
        return f"hashtextextended(row({', '.join(expressions)})::text, 0)"

    def hash_version(self) -> str:
        return "postgres"

    def replace_view(self, schema: str, view: str, select: str) -> None:
        # create or replace fails when the columns differ: drop first, in one transaction
        with self.transaction():
            self.execute(f"drop view if exists {self.quote(schema, view)}")
            self.execute(f"create view {self.quote(schema, view)} as {select}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if not self._depth:
                self.connection.rollback()
            raise
        self._depth -= 1
        self._commit()

    def replace_tables(self, schema: str, files: RawFiles) -> dict[str, int]:
        """Truncate and COPY in one transaction; views on the raw tables stay valid (never drop the table)."""
        rows: dict[str, int] = {}
        with tempfile.TemporaryDirectory() as scratch, self.transaction(), self.connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {self.quote(schema)}")
            for table, given in files.items():
                file = RawFile.of(given)
                if file.format == "parquet":
                    file, types = _parquet_as_csv(file, Path(scratch))
                else:
                    types = dict.fromkeys(file.columns, "text")
                self._prepare(cursor, schema, table, types)
                names = ", ".join(file.columns)
                options = ["format csv", f"header {str(file.header).lower()}"]
                options += [f"delimiter {_literal(file.delimiter)}", f"quote {_literal(file.quote)}"]
                copy = f"copy {self.quote(schema, table)} ({names}) from stdin with ({', '.join(options)})"
                # Python decodes the declared encoding; the driver sends UTF-8 text
                with file.path.open("r", encoding=file.encoding, newline="") as handle:
                    cursor.copy_expert(copy, handle)
                rows[table] = cursor.rowcount
        return rows

    def _prepare(self, cursor: Any, schema: str, table: str, types: dict[str, str]) -> None:
        """Create the raw table, or empty it and add the columns a new extract brings (a column the source dropped
        stays, empty from now on)."""
        cursor.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
            (schema, table),
        )
        existing = {name for (name,) in cursor.fetchall()}
        if not existing:
            column_sql = ", ".join(f"{column} {kind}" for column, kind in types.items())
            cursor.execute(f"create table {self.quote(schema, table)} ({column_sql})")
            return
        for column, kind in types.items():
            if column.lower() not in existing:
                cursor.execute(f"alter table {self.quote(schema, table)} add column {column} {kind}")
        cursor.execute(f"truncate table {self.quote(schema, table)}")

    def close(self) -> None:
        self.connection.close()


def _copy_text(value: Any) -> str:
    """A value in COPY's text format: \\N for null; backslash, tab and line breaks escaped."""
    if value is None:
        return "\\N"
    text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Arrow type (its string form's start) -> PostgreSQL type, for a parquet extract's columns
ARROW_TYPES = (
    ("int", "bigint"),
    ("uint", "bigint"),
    ("double", "double precision"),
    ("float", "double precision"),
    ("bool", "boolean"),
    ("date", "date"),
    ("timestamp", "timestamp"),
    ("decimal", "numeric"),
)


def _parquet_as_csv(file: RawFile, scratch: Path) -> tuple[RawFile, dict[str, str]]:
    """A parquet extract as a CSV file COPY can read, and its columns' PostgreSQL types."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pq.read_table(file.path)
    types = {}
    for field in table.schema:
        arrow = str(field.type)
        types[field.name] = next((kind for prefix, kind in ARROW_TYPES if arrow.startswith(prefix)), "text")
    target = scratch / (file.path.stem + ".csv")
    pacsv.write_csv(table, target, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return RawFile(target, tuple(table.column_names)), types
