"""A history of a source that delivers only its changes, recorded on the BigQuery emulator exactly as on DuckDB
and PostgreSQL (tests/test_history_changes.py holds the project, the batches and the independent model)."""

from __future__ import annotations

from pathlib import Path

from dataprodukt.core import bigquery_emulator
from tests.bigquery.conftest import emulator_warehouse
from tests.conftest import clean_env
from tests.test_history_changes import make_project, replay_and_compare


def test_change_batches_give_exactly_the_expected_history_on_bigquery(
    tmp_path: Path, bq_emulator: bigquery_emulator.Emulator
) -> None:
    env = clean_env(**bq_emulator.env())
    project = make_project(tmp_path, "bigquery_emulator", env, lambda: emulator_warehouse(bq_emulator))
    replay_and_compare(project)
