"""Connections to the target warehouse, made from the dbt profile so there is one place for credentials.

The credentials come from ``profiles/profiles.yml`` rendered by dbt itself (env_var and all), so the loader,
the checks and the tests reach exactly the database dbt builds in. One engine module per warehouse type
(``duckdb_engine``, ``postgres_engine``, ``bigquery_engine``) holds everything that differs between them;
the tooling sees only :class:`Warehouse` (``base``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.core.warehouse.base import RawFile, Row, SqlWarehouse, Table, Warehouse
from dataprodukt.core.warehouse.bigquery_engine import BigQueryWarehouse
from dataprodukt.core.warehouse.duckdb_engine import DuckDBWarehouse
from dataprodukt.core.warehouse.postgres_engine import PostgresWarehouse

__all__ = [
    "BigQueryWarehouse",
    "DuckDBWarehouse",
    "PostgresWarehouse",
    "RawFile",
    "Row",
    "SqlWarehouse",
    "Table",
    "Warehouse",
    "connect",
    "connected",
    "profile_credentials",
]

_RENDERED: dict[tuple[Any, ...], Any] = {}


def profile_credentials(project: Project) -> Any:
    """The target's credentials as dbt renders them from profiles/profiles.yml (once per environment)."""
    project.apply_environment()
    key = (str(project.profiles_dir), project.profile_name, project.target, tuple(sorted(os.environ.items())))
    if key not in _RENDERED:
        _RENDERED[key] = _render(project)
    return _RENDERED[key]


def _render(project: Project) -> Any:
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
        return BigQueryWarehouse(credentials)
    raise UserError(f"target {project.target!r} has type {kind!r}, which this tooling can't load into")


@contextmanager
def connected(project: Project) -> Iterator[Warehouse]:
    warehouse = connect(project)
    try:
        yield warehouse
    finally:
        warehouse.close()
