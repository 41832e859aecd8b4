"""The tooling's own tables, one way on every engine: created, filled with bound parameters, upserted, replaced
and read back with every value as it was (quotes, backslashes, newlines, nulls, times, JSON). The BigQuery engine
is driven the same way in tests/bigquery/ (register, run log and catalog table on the emulator)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.core.warehouse import BigQueryWarehouse, DuckDBWarehouse, Table, Warehouse
from dataprodukt.core.warehouse.base import standard_text_literal
from tests.support import postgres

TABLE = Table(
    "verktoy",
    "proeve",
    (
        ("id", "text"),
        ("tekst", "text"),
        ("antall", "int"),
        ("andel", "float"),
        ("flagg", "bool"),
        ("tidspunkt", "timestamp"),
        ("dokument", "json"),
    ),
    key=("id",),
)
AWKWARD = "it's a \\ back'slash\nand a new line; drop table x; --"
ROWS: list[dict[str, Any]] = [
    {
        "id": "a",
        "tekst": AWKWARD,
        "antall": 2**40,
        "andel": 0.25,
        "flagg": True,
        "tidspunkt": datetime(2026, 1, 5, 8, 0, 1, 123456, tzinfo=UTC),
        "dokument": json.dumps({"navn": "Ærlig 'sitat'", "liste": [1, 2]}, ensure_ascii=False),
    },
    {"id": "b", "tekst": None, "antall": None, "andel": None, "flagg": None, "tidspunkt": None, "dokument": None},
]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        found: Warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    else:
        found = postgres.warehouse(request.getfixturevalue("pg_env"))
    try:
        yield found
    finally:
        found.close()


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as compared: times in UTC without a zone (how the tables store them), JSON parsed."""
    out = dict(row)
    if isinstance(out["tidspunkt"], datetime) and out["tidspunkt"].tzinfo is not None:
        out["tidspunkt"] = out["tidspunkt"].astimezone(UTC).replace(tzinfo=None)
    if isinstance(out["dokument"], str):
        out["dokument"] = json.loads(out["dokument"])
    return out


def test_rows_read_back_as_they_were_written(warehouse: Warehouse) -> None:
    assert warehouse.select(TABLE) == []  # no table yet: nothing, not an error
    warehouse.insert(TABLE, ROWS)
    read = sorted(warehouse.select(TABLE), key=lambda row: row["id"])
    assert [_plain(row) for row in read] == [_plain(row) for row in ROWS]
    assert warehouse.select(TABLE, {"tekst": AWKWARD})[0]["id"] == "a"


def test_upsert_replaces_by_key_and_replace_rows_keeps_only_the_new(warehouse: Warehouse) -> None:
    warehouse.insert(TABLE, ROWS)
    warehouse.upsert(TABLE, [{**ROWS[1], "tekst": "ny"}, {"id": "c", "tekst": "tredje"}])
    read = {row["id"]: row["tekst"] for row in warehouse.select(TABLE)}
    assert read == {"a": AWKWARD, "b": "ny", "c": "tredje"}
    warehouse.replace_rows(TABLE, [{"id": "d"}])
    assert [row["id"] for row in warehouse.select(TABLE)] == ["d"]


def test_a_failed_upsert_leaves_the_table_as_it_was(warehouse: Warehouse) -> None:
    warehouse.insert(TABLE, ROWS)
    with pytest.raises(Exception, match=r"(?i)integer|int64|out of range|conversion|invalid"):
        warehouse.upsert(TABLE, [{"id": "a", "tekst": "endret"}, {"id": "b", "antall": "ikke et tall"}])
    read = {row["id"]: row["tekst"] for row in warehouse.select(TABLE)}
    assert read == {"a": AWKWARD, "b": None}


@pytest.mark.parametrize(
    ("value", "standard", "bigquery"),
    [
        ("plain", "'plain'", "'plain'"),
        ("it's", "'it''s'", "'it\\'s'"),
        ("it's \\ done", "'it''s \\ done'", "'it\\'s \\\\ done'"),
        ("two\nlines", "'two\nlines'", "'two\\nlines'"),
    ],
)
def test_text_literals_per_engine(value: str, standard: str, bigquery: str) -> None:
    assert standard_text_literal(value) == standard
    assert BigQueryWarehouse.text_literal(value) == bigquery


def test_a_table_with_an_unknown_column_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"verktoy\.feil: unknown column kind\(s\) x money"):
        Table("verktoy", "feil", (("x", "money"),))
