"""Shared fixtures: copies of the project to build in, a real PostgreSQL database, and the example built once."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.core.storage_emulator import EmulatorServer
from tests.support import postgres

REPO = Path(__file__).resolve().parent.parent
# The example project the tooling's tests build: the template itself, or, in a product made from it with
# `dataprodukt new`, the example's copy in tests/example/ (its tooling, macros and docs are the product's).
EXAMPLE = REPO / "tests" / "example" if (REPO / "tests" / "example" / "dbt_project.yml").is_file() else REPO
# what a data product project consists of (the Python package is installed, not copied)
PROJECT_FILES = (
    "dbt_project.yml",
    "profiles",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "codelists",
    "tests/dbt",
    "docs",
)
# what the tooling brings to every product (in a product made with `dataprodukt new`, not in tests/example/)
TOOLING_FILES = ("macros", "codelists", "docs")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
GCS_BUCKET = "dataprodukt-test"


def copy_project(destination: Path) -> Path:
    """A copy of the example's dbt project (no build/ or target/), to build or break in isolation."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = (REPO if name in TOOLING_FILES else EXAMPLE) / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        elif source.is_file():
            shutil.copy2(source, destination / name)
    return destination


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment for a CLI run: no inherited DBT_/PG settings and no pseudonymisation key unless given (an
    in-process test may have set the key in this worker's os.environ; a user's fresh shell has none)."""
    inherited = ("DBT_", "PG", "DUCKDB_", "DATAPRODUKT_PSEUDONYM_KEY")
    env = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
    env.update(overrides)
    return env


def run_cli(
    project: Path, *args: str, env: dict[str, str] | None = None, check: bool = True, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``dataprodukt ARGS`` in ``project`` as a user would, in its own process."""
    result = subprocess.run(
        [sys.executable, "-m", "dataprodukt.cli", *args],
        cwd=project,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dataprodukt {' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout[-6000:]}"
            f"\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


@dataclass
class BuiltExample:
    """The example data product built on one target, in its own project copy."""

    root: Path
    target: str
    env: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_cli(self.root, *args, "--target", self.target, env=self.env, check=check)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def postgres_server() -> postgres.Server:
    try:
        return postgres.ensure_server(REPO / "build" / "postgres")
    except postgres.PostgresUnavailable as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"no PostgreSQL server: {error}")


def _database_name(label: str) -> str:
    return "dp_" + hashlib.sha1(f"{label}-{os.getpid()}".encode()).hexdigest()[:12]


@pytest.fixture
def pg_env(postgres_server: postgres.Server, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A fresh, empty database for one test; yields the PG* variables that reach it."""
    name = postgres.create_database(postgres_server, _database_name(request.node.nodeid))
    yield postgres_server.env(name)
    postgres.drop_database(postgres_server, name)


@pytest.fixture(scope="session")
def example_duckdb(tmp_path_factory: pytest.TempPathFactory) -> BuiltExample:
    """The example built once per test session on DuckDB by the main job (read it, don't change it)."""
    root = copy_project(tmp_path_factory.mktemp("example-duckdb"))
    example = BuiltExample(root, "duckdb", clean_env())
    example.cli("run")
    return example


@pytest.fixture(scope="session")
def example_postgres(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: postgres.Server
) -> Iterator[BuiltExample]:
    """The example built once per test session on PostgreSQL by the main job (read it, don't change it)."""
    name = postgres.create_database(postgres_server, _database_name("example-postgres"))
    root = copy_project(tmp_path_factory.mktemp("example-postgres"))
    example = BuiltExample(root, "postgres", clean_env(**postgres_server.env(name)))
    example.cli("run")
    yield example
    postgres.drop_database(postgres_server, name)


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[EmulatorServer]:
    """The Cloud Storage emulator in this process, refusing to overwrite as Cloud Storage does
    (dataprodukt.core.storage_emulator); its bucket dataprodukt-test exists. Each test writes below a folder of its
    own; a CLI run reaches it through STORAGE_EMULATOR_HOST=<endpoint>."""
    server = EmulatorServer(bucket=GCS_BUCKET).start()
    yield server
    server.stop()


# A real browser for the catalog page: Debian's chromium driven by playwright (never `playwright install`).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "chromium is not installed (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(f"{message}: the catalog page must be tested in a real browser in CI")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.errors = errors
    yield opened
    context.close()
