"""PostgreSQL: a real server, reached with the credentials dbt renders from the profile."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse.base import SqlWarehouse


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

    def arrow(self, sql: str) -> Any:
        import pyarrow as pa

        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        self._commit()
        return pa.table({name: pa.array([row[i] for row in rows]) for i, name in enumerate(names)})

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

    def replace_tables(self, schema: str, files: dict[str, tuple[Path, Sequence[str]]]) -> dict[str, int]:
        """Truncate and COPY in one transaction; views on the raw tables stay valid (never drop the table)."""
        rows: dict[str, int] = {}
        with self.transaction(), self.connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {self.quote(schema)}")
            for table, (path, columns) in files.items():
                cursor.execute(
                    "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                    (schema, table),
                )
                existing = {name for (name,) in cursor.fetchall()}
                if not existing:
                    column_sql = ", ".join(f"{column} text" for column in columns)
                    cursor.execute(f"create table {self.quote(schema, table)} ({column_sql})")
                else:
                    # a new source column is added; a column the source dropped stays, empty from now on
                    for column in columns:
                        if column.lower() not in existing:
                            cursor.execute(f"alter table {self.quote(schema, table)} add column {column} text")
                    cursor.execute(f"truncate table {self.quote(schema, table)}")
                with path.open("r", encoding="utf-8") as handle:
                    names = ", ".join(columns)
                    copy = f"copy {self.quote(schema, table)} ({names}) from stdin with (format csv, header true)"
                    cursor.copy_expert(copy, handle)
                rows[table] = cursor.rowcount
        return rows

    def close(self) -> None:
        self.connection.close()
