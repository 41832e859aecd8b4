"""The BigQuery target for the loader and the tooling: queries and raw loads through BigQuery's own client.

The client is made by dbt-bigquery from the same profile dbt builds with (oauth, workload identity, an emulator's
``api_endpoint``), so there is one place for credentials. Raw files are loaded with load jobs, every column STRING
as the source delivered it (staging does the casts). A load replaces the tables all or nothing, as far as
BigQuery allows: every file is first loaded into a side table, and only when all of them loaded are the raw tables
replaced (copy jobs, WRITE_TRUNCATE), so a bad file never leaves the raw schema half new.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError

INCOMING_SUFFIX = "__innlasting"


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


class BigQueryWarehouse:
    kind = "bigquery"
    text_type = "string"

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

    def _run(self, sql: str) -> Any:
        from google.api_core import exceptions
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig()
        if self.maximum_bytes_billed:
            config.maximum_bytes_billed = int(self.maximum_bytes_billed)
        try:
            return self.client.query(sql, job_config=config, location=self.location).result()
        except exceptions.GoogleAPICallError as error:
            reason = " ".join(str(error.message).split())
            raise UserError(f"{self._where()}: {reason} in: {' '.join(sql.split())[:200]}") from error
        except (ConnectionError, OSError) as error:
            raise UserError(
                f"can't reach {self._where()}: {error}. Start the emulator (`dataprodukt bq-emulator start`) "
                "or check the network and credentials"
            ) from error

    @staticmethod
    def text_literal(value: str) -> str:
        """A BigQuery string literal: BigQuery escapes with backslashes (a doubled quote is not an escape there)."""
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
        return "'" + escaped + "'"

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self._run(sql)]

    def execute(self, sql: str) -> None:
        self._run(sql)

    def arrow(self, sql: str) -> Any:
        """A query's rows as a pyarrow Table (read through the REST API: no BigQuery Storage client needed)."""
        return self._run(sql).to_arrow(create_bqstorage_client=False)

    def columns(self, schema: str, name: str) -> list[str]:
        """The column names of a table or view in this project, in order; empty when it does not exist."""
        from google.api_core import exceptions

        try:
            table = self.client.get_table(f"{self.project}.{schema}.{name}")
        except exceptions.NotFound:
            return []
        return [field.name for field in table.schema]

    def _ensure_dataset(self, schema: str) -> None:
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{schema}")
        if self.location:
            dataset.location = self.location
        self.client.create_dataset(dataset, exists_ok=True)

    def _load(self, path: Path, table: str, columns: Sequence[str]) -> None:
        from google.api_core import exceptions
        from google.cloud import bigquery

        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.CSV,
            skip_leading_rows=1,
            schema=[bigquery.SchemaField(column.lower(), "STRING") for column in columns],
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            allow_quoted_newlines=True,
            encoding="UTF-8",
        )
        try:
            # no size given: the client uses a resumable upload, which the emulator supports (multipart it doesn't)
            with path.open("rb") as handle:
                job = self.client.load_table_from_file(handle, table, job_config=config, location=self.location)
            job.result()
        except exceptions.GoogleAPICallError as error:
            reason = " ".join(str(error.message).split())[:400]
            raise UserError(f"{path}: the load job into {table} failed on {self._where()}: {reason}") from error

    def replace_tables(self, schema: str, files: dict[str, tuple[Path, Sequence[str]]]) -> dict[str, int]:
        """Load every file into a side table, then replace the raw tables from them; return rows per table."""
        from google.cloud import bigquery

        self._ensure_dataset(schema)
        incoming = {table: f"{self.project}.{schema}.{table}{INCOMING_SUFFIX}" for table in files}
        try:
            for table, (path, columns) in files.items():
                self._load(path, incoming[table], columns)
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
