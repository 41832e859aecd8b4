"""Where the project lives and how dbt is pointed at it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dataprodukt.core.errors import UserError

TARGETS = ("duckdb", "postgres", "bigquery", "bigquery_emulator")
DEFAULT_TARGET = "duckdb"
# targets on this machine (or its emulator); any other (bigquery) is production: secrets and a bucket, never defaults
LOCAL_TARGETS = frozenset({"duckdb", "postgres", "bigquery_emulator"})


def find_root(start: Path | None = None) -> Path:
    """Return the nearest folder at or above ``start`` holding dbt_project.yml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dbt_project.yml").is_file():
            return folder
    raise UserError(
        f"no dbt_project.yml in {here} or any folder above it: run this command inside the data product's folder"
    )


@dataclass(frozen=True)
class Project:
    """A dbt project on disk and the target it is run against."""

    root: Path
    target: str = DEFAULT_TARGET

    @classmethod
    def discover(cls, target: str | None = None, start: Path | None = None) -> Project:
        chosen = target or os.environ.get("DBT_TARGET") or DEFAULT_TARGET
        if chosen not in TARGETS:
            raise UserError(
                f"unknown target {chosen!r}: choose one of {', '.join(TARGETS)} "
                "(--target or DBT_TARGET; the targets are defined in profiles/profiles.yml)"
            )
        return cls(root=find_root(start), target=chosen)

    @property
    def is_production(self) -> bool:
        return self.target not in LOCAL_TARGETS

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def target_dir(self) -> Path:
        return self.root / "target"

    @property
    def build_dir(self) -> Path:
        """Local working data: generated raw files, the DuckDB file, exported outputs."""
        return self.root / "build"

    @property
    def raw_dir(self) -> Path:
        return self.build_dir / "raw"

    @property
    def dbt_project(self) -> dict[str, Any]:
        """dbt_project.yml as written (not rendered)."""
        path = self.root / "dbt_project.yml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise UserError(f"{path} can't be read: {error}") from error
        if not isinstance(data, dict):
            raise UserError(f"{path} is not a YAML mapping: fix the file")
        return data

    @property
    def name(self) -> str:
        return str(self.dbt_project.get("name", ""))

    @property
    def variables(self) -> dict[str, Any]:
        """The vars in dbt_project.yml as written (a run's ``--vars`` are dbt's to apply)."""
        found = self.dbt_project.get("vars")
        return found if isinstance(found, dict) else {}

    @property
    def product(self) -> str:
        """The product's short name (the var ``product``; level 1 of every storage path)."""
        product = str(self.variables.get("product") or "")
        if not product:
            raise UserError(
                f"{self.root / 'dbt_project.yml'} sets no var 'product': set it to the product's short name "
                "(e.g. product: ameld_data)"
            )
        return product

    @property
    def profile_name(self) -> str:
        return str(self.dbt_project.get("profile") or self.name)

    def apply_environment(self) -> None:
        """Point dbt at this project's profiles, as the Makefile does for plain ``dbt``."""
        os.environ.setdefault("DBT_PROFILES_DIR", str(self.profiles_dir))
        os.environ.setdefault("DBT_PROJECT_DIR", str(self.root))
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
        os.environ["DBT_TARGET"] = self.target
        self.build_dir.mkdir(parents=True, exist_ok=True)
        if self.target == "bigquery_emulator":
            from dataprodukt.core.bigquery_emulator import require_running

            require_running()
