"""The BigQuery target for the loader and the tooling: queries and raw loads through BigQuery's own client.

The client is made by dbt-bigquery from the same profile dbt builds with (oauth, workload identity, an emulator's
``api_endpoint``), so there is one place for credentials. Raw files are loaded with load jobs, every column STRING
as the source delivered it (staging does the casts). A load replaces the tables all or nothing, as far as
BigQuery allows: every file is first loaded into a side table, and only when all of them loaded are the raw tables
replaced (copy jobs, WRITE_TRUNCATE), so a bad file never leaves the raw schema half new.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse.base import RawFile, RawFiles, Row, Table, timestamp_value, utc_naive

INCOMING_SUFFIX = "__innlasting"
# encodings a CSV load job is given as they are (Python codec name -> BigQuery's); any other (Latin-1 too, which
# BigQuery reads but the emulator does not, so that the path tested is the path run) is re-encoded to UTF-8 first
CSV_ENCODINGS = {"utf-8": "UTF-8"}


def _client(credentials: Any) -> Any:
    """The client dbt-bigquery would make, without its fallback of an interactive `gcloud auth` login."""
    from dbt.adapters.bigquery.credentials import create_google_credentials
    from google.api_core.client_options import ClientOptions
    from google.cloud import bigquery

    return bigquery.Client(
        credentials.execution_project or credentials.database,
        create_google_credentials(credentials),
        location=getattr(credentials, "location", None),
        client_options=ClientOptions(quota_project_id=credentials.quota_project, api_endpoint=credentials.api_endpoint),
    )


# portable kind -> BigQuery type
TYPES = {"text": "STRING", "int": "INT64", "float": "FLOAT64", "bool": "BOOL", "timestamp": "TIMESTAMP", "json": "JSON"}


class BigQueryWarehouse:
    kind = "bigquery"

    def __init__(self, credentials: Any) -> None:
        self.project = str(credentials.database)
        self.location = getattr(credentials, "location", None)
        self.endpoint = getattr(credentials, "api_endpoint", None)
        self.maximum_bytes_billed = getattr(credentials, "maximum_bytes_billed", None)
        try:
            self.client = _client(credentials)
        except Exception as error:
            raise UserError(
                f"can't make a BigQuery client for project {self.project} (method {credentials.method}): "
                f"{' '.join(str(error).split())[:300]}. Log in (`gcloud auth application-default login`, or "
                "workload identity in CI), or start the emulator (`dataprodukt bq-emulator start`)"
            ) from error

    def _where(self) -> str:
        return f"BigQuery project {self.project}" + (f" at {self.endpoint}" if self.endpoint else "")

    def _call(self, what: str, action: Any) -> Any:
        """Run a client call, turning the client's errors into one line naming the project and what failed."""
        from google.api_core import exceptions

        try:
            return action()
        except exceptions.GoogleAPICallError as error:
            reason = " ".join(str(error.message).split())[:400]
            raise UserError(f"{self._where()}: {reason} in: {what}") from error
        except (ConnectionError, OSError) as error:
            raise UserError(
                f"can't reach {self._where()}: {error}. Start the emulator (`dataprodukt bq-emulator start`) "
                "or check the network and credentials"
            ) from error

    def _run(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=[_parameter(value) for value in parameters])
        if self.maximum_bytes_billed:
            config.maximum_bytes_billed = int(self.maximum_bytes_billed)
        return self._call(
            " ".join(sql.split())[:200],
            lambda: self.client.query(sql, job_config=config, location=self.location).result(),
        )

    @staticmethod
    def text_literal(value: str) -> str:
        """A BigQuery string literal: BigQuery escapes with backslashes (a doubled quote is not an escape there)."""
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
        return "'" + escaped + "'"

    @staticmethod
    def quote(*parts: str) -> str:
        return ".".join(f"`{part}`" for part in parts)

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self._run(sql, parameters)]

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self._run(sql, parameters)

    def arrow(self, sql: str) -> Any:
        """A query's rows as a pyarrow Table (read through the REST API: no BigQuery Storage client needed)."""
        return self._run(sql).to_arrow(create_bqstorage_client=False)

    def _table(self, schema: str, name: str, database: str | None = None) -> Any:
        from google.api_core import exceptions

        try:
            return self.client.get_table(f"{database or self.project}.{schema}.{name}")
        except exceptions.NotFound:
            return None

    def list_tables(self, schema: str) -> list[str]:
        from google.api_core import exceptions

        try:
            return sorted(table.table_id for table in self.client.list_tables(f"{self.project}.{schema}"))
        except exceptions.NotFound:
            return []

    def relation_columns(self, schema: str, name: str, database: str | None = None) -> list[tuple[str, str]]:
        """The columns of a table or view, asked of the API (a dataset's INFORMATION_SCHEMA needs it named); in
        another project when ``database`` names one (a dataset another team fills)."""
        table = self._table(schema, name, database)
        return [(field.name, str(field.field_type)) for field in table.schema] if table is not None else []

    def sample_values(self, schema: str, table: str, column: str, limit: int = 10_000) -> list[str]:
        name = self.quote(column)
        rows = self.query(
            f"select distinct cast({name} as string) from {self.quote(self.project, schema, table)} "
            f"where {name} is not null limit {int(limit)}"
        )
        return [str(value) for (value,) in rows if value is not None and str(value).strip() != ""]

    def view_definition(self, schema: str, view: str) -> str | None:
        table = self._table(schema, view)
        return str(table.view_query) if table is not None and table.view_query else None

    def replace_view(self, schema: str, view: str, select: str) -> None:
        self.execute(f"create or replace view {self.quote(schema, view)} as {select}")

    def ensure_dataset(self, schema: str) -> None:
        """A dataset in the profile's location: beside the product's datasets, so one query can read them all."""
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{schema}")
        if self.location:
            dataset.location = self.location
        self._call(f"create dataset {schema}", lambda: self.client.create_dataset(dataset, exists_ok=True))

    def _schema(self, table: Table) -> list[Any]:
        from google.cloud import bigquery

        return [bigquery.SchemaField(name, TYPES[kind]) for name, kind in table.columns]

    def ensure_table(self, table: Table) -> None:
        from google.cloud import bigquery

        self.ensure_dataset(table.schema)
        created = bigquery.Table(f"{self.project}.{table.schema}.{table.name}", schema=self._schema(table))
        name = f"{table.schema}.{table.name}"
        found = self._call(f"create table {name}", lambda: self.client.create_table(created, exists_ok=True))
        # a table made by an earlier version of the tooling gets the columns added since
        existing = {field.name.lower() for field in found.schema}
        missing = [field for field in self._schema(table) if field.name.lower() not in existing]
        if missing:
            found.schema = [*found.schema, *missing]
            self._call(f"add columns to {name}", lambda: self.client.update_table(found, ["schema"]))

    # comparing relations (core/warehouse/compare.py)

    def row_hash(self, expressions: Sequence[str]) -> str:
        fields = ", ".join(f"{expression} as c{position}" for position, expression in enumerate(expressions))
        return f"farm_fingerprint(to_json_string(struct({fields})))"

    def hash_total(self, expression: str) -> str:
        return f"sum(cast({expression} as bignumeric))"

    def bucket(self, expression: str, buckets: int) -> str:
        return f"mod({expression}, {int(buckets)})"

    def as_text(self, expression: str) -> str:
        return f"cast({expression} as string)"

    def hash_version(self) -> str:
        return "bigquery"

    def create_table_as(self, schema: str, name: str, select: str) -> None:
        self.ensure_dataset(schema)
        self.execute(f"create or replace table {self.quote(self.project, schema, name)} as {select}")

    def drop_table(self, schema: str, name: str) -> None:
        self.client.delete_table(f"{self.project}.{schema}.{name}", not_found_ok=True)

    def _load_rows(self, table: Table, rows: Sequence[Row], destination: str, disposition: str) -> None:
        """A load job from newline-delimited JSON: no value is ever written into SQL text. A file of unknown size
        makes the client use a resumable upload (a multipart one the BigQuery emulator refuses)."""
        from google.cloud import bigquery

        config = bigquery.LoadJobConfig(
            schema=self._schema(table),
            write_disposition=disposition,
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
        )
        data = "".join(
            json.dumps({name: _json_value(kind, row.get(name)) for name, kind in table.columns}, ensure_ascii=False)
            + "\n"
            for row in rows
        ).encode("utf-8")
        self._call(
            f"load into {destination}",
            lambda: self.client.load_table_from_file(
                io.BytesIO(data), destination, job_config=config, location=self.location
            ).result(),
        )

    def insert(self, table: Table, rows: Sequence[Row]) -> None:
        from google.cloud import bigquery

        self.ensure_table(table)
        if rows:
            destination = f"{self.project}.{table.schema}.{table.name}"
            self._load_rows(table, rows, destination, bigquery.WriteDisposition.WRITE_APPEND)

    def upsert(self, table: Table, rows: Sequence[Row]) -> None:
        """Load the rows into a side table, then MERGE them by key in one statement."""
        from google.cloud import bigquery

        if not table.key:
            raise ValueError(f"table {table.schema}.{table.name} has no key to upsert by")
        self.ensure_table(table)
        if not rows:
            return
        side = f"{self.project}.{table.schema}.{table.name}{INCOMING_SUFFIX}"
        try:
            self._load_rows(table, rows, side, bigquery.WriteDisposition.WRITE_TRUNCATE)
            on = " and ".join(f"target.{name} = source.{name}" for name in table.key)
            updates = ", ".join(f"{name} = source.{name}" for name in table.names if name not in table.key)
            names = ", ".join(table.names)
            self.execute(
                f"merge {self.quote(self.project, table.schema, table.name)} as target "
                f"using {self.quote(self.project, table.schema, table.name + INCOMING_SUFFIX)} as source on {on} "
                f"when matched then update set {updates} when not matched then insert ({names}) values ({names})"
            )
        finally:
            self.client.delete_table(side, not_found_ok=True)

    def replace_rows(self, table: Table, rows: Sequence[Row]) -> None:
        from google.cloud import bigquery

        self.ensure_table(table)
        destination = f"{self.project}.{table.schema}.{table.name}"
        self._load_rows(table, rows, destination, bigquery.WriteDisposition.WRITE_TRUNCATE)

    def load_rows(self, table: Table, rows: Sequence[Row]) -> None:
        # a load job: its data is uploaded, never part of a query, so INFORMATION_SCHEMA.JOBS holds no value of it
        self.replace_rows(table, rows)

    def select(self, table: Table, where: Row | None = None) -> list[dict[str, Any]]:
        if self._table(table.schema, table.name) is None:
            return []
        conditions = " and ".join(f"{name} = ?" for name in (where or {}))
        sql = f"select {', '.join(table.names)} from {self.quote(self.project, table.schema, table.name)}"
        rows = self.query(sql + (f" where {conditions}" if conditions else ""), list((where or {}).values()))
        return [dict(zip(table.names, row, strict=True)) for row in rows]

    def _load(self, file: RawFile, table: str, scratch: Path) -> None:
        from google.api_core import exceptions
        from google.cloud import bigquery

        if file.format == "parquet":
            # the schema given, from the file's own (the emulator makes no table from a parquet file alone)
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET,
                schema=_parquet_schema(file.path),
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            )
        else:
            if file.codec not in CSV_ENCODINGS:
                file = file.as_utf8(scratch)
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.CSV,
                skip_leading_rows=1 if file.header else 0,
                schema=[bigquery.SchemaField(column.lower(), "STRING") for column in file.columns],
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                allow_quoted_newlines=True,
                field_delimiter=file.delimiter,
                quote_character=file.quote,
                encoding=CSV_ENCODINGS[file.codec],
            )
        try:
            # no size given: the client uses a resumable upload, which the emulator supports (multipart it doesn't)
            with file.path.open("rb") as handle:
                job = self.client.load_table_from_file(handle, table, job_config=config, location=self.location)
            job.result()
        except exceptions.GoogleAPICallError as error:
            reason = " ".join(str(error.message).split())[:400]
            raise UserError(f"{file.path}: the load job into {table} failed on {self._where()}: {reason}") from error

    def replace_tables(self, schema: str, files: RawFiles) -> dict[str, int]:
        """Load every file into a side table, then replace the raw tables from them; return rows per table."""
        import tempfile

        from google.cloud import bigquery

        self.ensure_dataset(schema)
        incoming = {table: f"{self.project}.{schema}.{table}{INCOMING_SUFFIX}" for table in files}
        try:
            with tempfile.TemporaryDirectory() as scratch:
                for table, given in files.items():
                    self._load(RawFile.of(given), incoming[table], Path(scratch))
            rows: dict[str, int] = {}
            for table in files:
                final = f"{self.project}.{schema}.{table}"
                config = bigquery.CopyJobConfig(write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE)
                self.client.copy_table(incoming[table], final, job_config=config, location=self.location).result()
                rows[table] = int(self.client.get_table(final).num_rows or 0)
        finally:
            for name in incoming.values():
                self.client.delete_table(name, not_found_ok=True)
        return rows

    def close(self) -> None:
        self.client.close()


def _parquet_schema(path: Path) -> list[Any]:
    """A parquet file's columns as BigQuery fields, by the BigQuery client's own type mapping."""
    import pyarrow.parquet as pq
    from google.cloud import bigquery
    from google.cloud.bigquery import _pyarrow_helpers

    fields = []
    for field in pq.read_schema(path):
        kind = _pyarrow_helpers.arrow_scalar_ids_to_bq(field.type.id)
        if kind is None:
            raise UserError(
                f"{path}: column {field.name} is of parquet type {field.type}, which a BigQuery load can't take as "
                "one column: ask for the extract with plain columns (text, numbers, dates, times)"
            )
        fields.append(bigquery.SchemaField(field.name.lower(), kind))
    return fields


def _parameter(value: Any) -> Any:
    """A positional query parameter (``?``) typed from its Python value."""
    from google.cloud import bigquery

    if isinstance(value, bool):
        kind = "BOOL"
    elif isinstance(value, int):
        kind = "INT64"
    elif isinstance(value, float):
        kind = "FLOAT64"
    elif isinstance(value, Decimal):
        kind = "NUMERIC"
    elif isinstance(value, datetime):
        kind, value = "TIMESTAMP", utc_naive(value)
    elif isinstance(value, date):
        kind = "DATE"
    else:
        kind = "STRING"
    return bigquery.ScalarQueryParameter(None, kind, value)


def _json_value(kind: str, value: Any) -> Any:
    """A value as a load job's JSON carries it for a column of ``kind``."""
    if value is None:
        return None
    if kind == "timestamp":
        return timestamp_value(value).isoformat(sep=" ", timespec="microseconds")
    if kind == "json":
        return json.loads(value) if isinstance(value, str) else value
    return value
