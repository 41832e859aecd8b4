"""DuckDB: the embedded default target, one file on disk."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse.base import SqlWarehouse


class DuckDBWarehouse(SqlWarehouse):
    kind = "duckdb"
    TYPES: ClassVar[dict[str, str]] = {
        "text": "varchar",
        "int": "bigint",
        "float": "double",
        "bool": "boolean",
        "timestamp": "timestamp",
        "json": "json",
    }
    placeholder = "?"

    def __init__(self, path: Path) -> None:
        import duckdb

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self.connection = duckdb.connect(str(path))
        except duckdb.Error as error:
            raise UserError(f"can't open the DuckDB file {path}: {error} (is another process using it?)") from error

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql, list(parameters) or None).fetchall())

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, list(parameters) or None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(sql, [list(row) for row in rows])

    def arrow(self, sql: str) -> Any:
        return self.connection.sql(sql).to_arrow_table()

    def view_definition(self, schema: str, view: str) -> str | None:
        rows = self.query("select sql from duckdb_views() where schema_name = ? and view_name = ?", [schema, view])
        return str(rows[0][0]) if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.connection.execute("begin transaction")
        try:
            yield
        except BaseException:
            self.connection.execute("rollback")
            raise
        self.connection.execute("commit")

    def replace_tables(self, schema: str, files: dict[str, tuple[Path, Sequence[str]]]) -> dict[str, int]:
        rows: dict[str, int] = {}
        with self.transaction():
            self.connection.execute(f"create schema if not exists {self.quote(schema)}")
            for table, (path, _columns) in files.items():
                # every field stays text, as the source delivered it: staging does the casts
                self.connection.execute(
                    f"create or replace table {self.quote(schema, table)} as "
                    "select * from read_csv(?, header = true, all_varchar = true, auto_detect = true)",
                    [str(path)],
                )
                count = self.connection.execute(f"select count(*) from {self.quote(schema, table)}").fetchone()
                rows[table] = int(count[0]) if count else 0
        return rows

    def close(self) -> None:
        self.connection.close()
