"""The both-clock macros' hand-computed answers (dbt unit tests of the example) on the BigQuery emulator, as the
example's build ran them (tests/test_history_deliveries.py reads the same on DuckDB and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tests.conftest import BuiltExample
from tests.test_history_deliveries import BOTH_CLOCKS


def test_the_both_clock_macros_give_the_hand_computed_answers_on_bigquery(
    example_bigquery: BuiltExample, bq_warehouse: Any
) -> None:
    names = ", ".join(f"'{name}'" for name in sorted(BOTH_CLOCKS))
    rows = bq_warehouse.query(f"select distinct name, status from drift.noderesultater where name in ({names})")
    assert {(str(name), str(status)) for name, status in rows} == {(name, "pass") for name in BOTH_CLOCKS}
