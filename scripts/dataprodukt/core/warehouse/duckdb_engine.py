"""DuckDB: the embedded default target, one file on disk."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse.base import RawFile, RawFiles, SqlWarehouse

# encodings DuckDB's CSV reader decodes itself; any other is re-encoded to UTF-8 first
CSV_ENCODINGS = {"utf-8": "utf-8", "iso8859-1": "latin-1"}


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

    def row_hash(self, expressions: Sequence[str]) -> str:
        return f"hash({', '.join(expressions)})"

    def hash_version(self) -> str:
        import duckdb

        # DuckDB's hash() may change between releases: a checksum made by another release is not compared
        return f"duckdb-{duckdb.__version__}"

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

    def replace_tables(self, schema: str, files: RawFiles) -> dict[str, int]:
        rows: dict[str, int] = {}
        with tempfile.TemporaryDirectory(dir=self.path.parent) as scratch, self.transaction():
            self.connection.execute(f"create schema if not exists {self.quote(schema)}")
            for table, given in files.items():
                read, parameters = _reader(RawFile.of(given), Path(scratch))
                self.connection.execute(f"create or replace table {self.quote(schema, table)} as {read}", parameters)
                count = self.connection.execute(f"select count(*) from {self.quote(schema, table)}").fetchone()
                rows[table] = int(count[0]) if count else 0
        return rows

    def close(self) -> None:
        self.connection.close()


def _reader(file: RawFile, scratch: Path) -> tuple[str, list[Any]]:
    """The select that reads an extract in bulk: a CSV's every field as text (staging does the casts), with the
    declared delimiter, quote, header and encoding; a parquet file with its own types."""
    if file.format == "parquet":
        return "select * from read_parquet(?)", [str(file.path)]
    if file.codec not in CSV_ENCODINGS:
        file = file.as_utf8(scratch)
    columns = "{" + ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in file.columns) + "}"
    return (
        f"select * from read_csv(?, header = ?, delim = ?, quote = ?, escape = ?, encoding = ?, "
        f"auto_detect = false, columns = {columns})",
        [str(file.path), file.header, file.delimiter, file.quote, file.quote, CSV_ENCODINGS[file.codec]],
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
