"""The BigQuery emulator for the tests, started once per session on free ports, and the example built on it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from dataprodukt.core import bigquery_emulator
from dataprodukt.core.errors import UserError
from tests.conftest import IN_CI, REPO, BuiltExample, clean_env, copy_project

# one virtualenv for every session and project copy (it takes a few seconds to make, then it is reused)
EMULATOR_VENV = REPO / "build" / "bqemulator" / "venv"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def bq_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bigquery_emulator.Emulator]:
    """A running emulator of its own (ports, data, HOME); stopped at the end of the session."""
    emulator = bigquery_emulator.Emulator(
        tmp_path_factory.mktemp("bqemulator"), free_port(), free_port(), "dataprodukt-test", EMULATOR_VENV
    )
    try:
        bigquery_emulator.start(emulator, timeout=120)
    except UserError as error:
        if IN_CI:
            pytest.fail(f"the BigQuery emulator is required in CI: {error}")
        pytest.skip(f"no BigQuery emulator: {error}")
    yield emulator
    bigquery_emulator.stop(emulator)


def emulator_warehouse(emulator: bigquery_emulator.Emulator, project: str = "") -> Any:
    """The project's BigQuery warehouse class, pointed at the emulator as the bigquery_emulator profile is (the
    emulator keeps any number of projects apart: ``project`` names another than the emulator's own)."""
    from dbt.adapters.bigquery.credentials import BigQueryCredentials

    from dataprodukt.core.warehouse import BigQueryWarehouse

    credentials = BigQueryCredentials.from_dict(
        {
            "method": "oauth-secrets",
            "token": "emulator",
            "database": project or emulator.project,
            "schema": "sykefravaer",
            "api_endpoint": emulator.endpoint,
            "job_retries": 0,
        }
    )
    return BigQueryWarehouse(credentials)


@pytest.fixture(scope="session")
def example_bigquery(tmp_path_factory: pytest.TempPathFactory, bq_emulator: bigquery_emulator.Emulator) -> BuiltExample:
    """The example built once per session on the emulator by the main job (read it, don't change it)."""
    root = copy_project(tmp_path_factory.mktemp("example-bigquery"))
    example = BuiltExample(root, "bigquery_emulator", clean_env(**bq_emulator.env()))
    example.cli("run")
    return example


@pytest.fixture(scope="session")
def bq_warehouse(bq_emulator: bigquery_emulator.Emulator) -> Iterator[Any]:
    warehouse = emulator_warehouse(bq_emulator)
    yield warehouse
    warehouse.close()
