"""Connections to the target warehouse, made from the dbt profile so there is one place for credentials.

The credentials come from ``profiles/profiles.yml`` rendered by dbt itself (env_var and all), so the loader,
the checks and the tests reach exactly the database dbt builds in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project


class Warehouse(Protocol):
    """The few operations the tooling needs from a target."""

    kind: str
    # the text type in this warehouse's DDL (varchar; BigQuery: string), for tables the tooling creates itself
    text_type: str

    def text_literal(self, value: str) -> str:
        """``value`` as a string literal in this warehouse's SQL (quotes, backslashes, newlines escaped)."""
        ...

    def query(self, sql: str) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str) -> None: ...

    def replace_tables(self, schema: str, files: dict[str, tuple[Path, Sequence[str]]]) -> dict[str, int]:
        """Replace each table's content with its CSV file, all or nothing; return rows per table."""
        ...

    def close(self) -> None: ...


def profile_credentials(project: Project) -> Any:
    """The target's credentials as dbt renders them from profiles/profiles.yml."""
    project.apply_environment()
    from argparse import Namespace

    from dbt.config.profile import Profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.exceptions import DbtProfileError
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)
    set_from_args(Namespace(profiles_dir=str(project.profiles_dir)), None)
    try:
        profile = Profile.render(ProfileRenderer({}), project.profile_name, target_override=project.target)
    except DbtProfileError as error:
        message = " ".join(str(error).split())
        hint = ""
        if "Env var required but not provided" in message:
            hint = " Set it in the environment (see README, 'Targets')."
        raise UserError(
            f"profile target {project.target!r} in {project.profiles_dir / 'profiles.yml'}: {message}.{hint}"
        ) from error
    _require_rendered(project, profile.credentials)
    return profile.credentials


def _require_rendered(project: Project, credentials: Any) -> None:
    """dbt leaves a secret field unrendered when its env var is missing: say which variable to set."""
    for name, value in sorted(vars(credentials).items()):
        if isinstance(value, str) and "{{" in value:
            variables = re.findall(r"env_var\(\s*['\"](\w+)['\"]", value)
            wanted = ", ".join(variables) or value
            raise UserError(
                f"profile target {project.target!r} in {project.profiles_dir / 'profiles.yml'}: field {name!r} needs "
                f"the environment variable {wanted}, which is not set: set it (see README, 'Targets')"
            )


def standard_text_literal(value: str) -> str:
    """A standard SQL string literal (DuckDB, PostgreSQL): a quote is doubled, everything else is as it is."""
    return "'" + value.replace("'", "''") + "'"


def connect(project: Project) -> Warehouse:
    """Open a connection to the project's target, or say clearly why it can't be reached."""
    credentials = profile_credentials(project)
    kind = credentials.type
    if kind == "duckdb":
        return DuckDBWarehouse(
            project.root / credentials.path if not Path(credentials.path).is_absolute() else Path(credentials.path)
        )
    if kind == "postgres":
        return PostgresWarehouse(credentials)
    if kind == "bigquery":
        from dataprodukt.core.bigquery_warehouse import BigQueryWarehouse

        return BigQueryWarehouse(credentials)
    raise UserError(f"target {project.target!r} has type {kind!r}, which this tooling can't load into")


@contextmanager
def connected(project: Project) -> Iterator[Warehouse]:
    warehouse = connect(project)
    try:
        yield warehouse
    finally:
        warehouse.close()


class DuckDBWarehouse:
    kind = "duckdb"
    text_type = "varchar"
    text_literal = staticmethod(standard_text_literal)

    def __init__(self, path: Path) -> None:
        import duckdb

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self.connection = duckdb.connect(str(path))
        except duckdb.Error as error:
            raise UserError(f"can't open the DuckDB file {path}: {error} (is another process using it?)") from error

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql).fetchall())

    def execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def replace_tables(self, schema: str, files: dict[str, tuple[Path, Sequence[str]]]) -> dict[str, int]:
        rows: dict[str, int] = {}
        self.connection.execute("begin transaction")
        try:
            self.connection.execute(f"create schema if not exists {schema}")
            for table, (path, _columns) in files.items():
                # every field stays text, as the source delivered it: staging does the casts
                self.connection.execute(
                    f"create or replace table {schema}.{table} as "
                    "select * from read_csv(?, header = true, all_varchar = true, auto_detect = true)",
                    [str(path)],
                )
                count = self.connection.execute(f"select count(*) from {schema}.{table}").fetchone()
                rows[table] = int(count[0]) if count else 0
            self.connection.execute("commit")
        except Exception:
            self.connection.execute("rollback")
            raise
        return rows

    def close(self) -> None:
        self.connection.close()


class PostgresWarehouse:
    kind = "postgres"
    text_type = "varchar"
    text_literal = staticmethod(standard_text_literal)

    def __init__(self, credentials: Any) -> None:
        import psycopg2

        self.credentials = credentials
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

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            result = list(cursor.fetchall())
        self.connection.commit()
        return result

    def execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
        self.connection.commit()

    def replace_tables(self, schema: str, files: dict[str, tuple[Path, Sequence[str]]]) -> dict[str, int]:
        """Truncate and COPY in one transaction; views on the raw tables stay valid (never drop the table)."""
        rows: dict[str, int] = {}
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"create schema if not exists {schema}")
                for table, (path, columns) in files.items():
                    cursor.execute(
                        "select column_name from information_schema.columns "
                        "where table_schema = %s and table_name = %s",
                        (schema, table),
                    )
                    existing = {name for (name,) in cursor.fetchall()}
                    if not existing:
                        column_sql = ", ".join(f"{column} text" for column in columns)
                        cursor.execute(f"create table {schema}.{table} ({column_sql})")
                    else:
                        # a new source column is added; a column the source dropped stays, empty from now on
                        for column in columns:
                            if column.lower() not in existing:
                                cursor.execute(f"alter table {schema}.{table} add column {column} text")
                        cursor.execute(f"truncate table {schema}.{table}")
                    with path.open("r", encoding="utf-8") as handle:
                        cursor.copy_expert(
                            f"copy {schema}.{table} ({', '.join(columns)}) from stdin with (format csv, header true)",
                            handle,
                        )
                    rows[table] = cursor.rowcount
            self.connection.commit()
        except Exception:
            self.connection.rollback()
            raise
        return rows

    def close(self) -> None:
        self.connection.close()
