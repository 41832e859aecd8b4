"""The casts the staging check allows, run on the real engines: DuckDB (in memory) and PostgreSQL.

Every cast of text the check allows must FAIL on a value it can't represent, so a bad raw value fails the build
instead of changing. What an allowed cast still changes without an error, and why the refused casts are refused,
is measured here too: docs/staging.md states both, and these tables keep it true when an engine changes.
BigQuery is not run (no BigQuery offline); its column in docs/staging.md follows BigQuery's documentation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from dataprodukt.rules.staging_casts import cast_problem, type_of
from tests.support.postgres import Server

Run = Callable[[str], Any]
ENGINES = ("duckdb", "postgres")
UUID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

# allowed casts of text: (type, a good text and what it becomes, texts each engine must refuse with an error)
ALLOWED = [
    ("integer", "42", 42, ["abc", "", "1,5", "99999999999"]),
    ("bigint", "9007199254740993", 9007199254740993, ["x", "99999999999999999999"]),
    ("numeric(28, 6)", "12.5", Decimal("12.500000"), ["abc", "12,5", "1e40"]),
    ("boolean", "true", True, ["x", "maybe"]),
    ("date", "2024-02-29", dt.date(2024, 2, 29), ["2024-02-30", "31.12.2024", ""]),
    ("timestamp", "2024-01-31 08:00:40", dt.datetime(2024, 1, 31, 8, 0, 40), ["2024-01-31 25:00:00", "2024-13-01"]),
    ("time", "08:00:40", dt.time(8, 0, 40), ["10:61:00", "abc"]),
    ("uuid", UUID, UUID, ["abc"]),
    ("varchar", "0301", "0301", []),
]
# what an allowed cast changes without an error: (engine, SQL, what it gives); docs/staging.md lists each
CHANGES = [
    ("duckdb", "cast('1.5' as integer)", 2),  # PostgreSQL refuses it
    ("duckdb", "cast('1e3' as integer)", 1000),
    ("duckdb", "cast('0x10' as integer)", 16),
    ("duckdb", "cast('1.23456789' as numeric(28, 6))", Decimal("1.234568")),
    ("postgres", "cast('1.23456789' as numeric(28, 6))", Decimal("1.234568")),
    ("duckdb", "cast('1.2345' as numeric)", Decimal("1.235")),  # DuckDB's bare numeric is DECIMAL(18,3)
    ("postgres", "cast('1.2345' as numeric)", Decimal("1.2345")),  # PostgreSQL's is exact
    ("duckdb", "cast('2024-01-01 10:00:00' as date)", dt.date(2024, 1, 1)),
    ("postgres", "cast('2024-01-01 10:00:00' as date)", dt.date(2024, 1, 1)),
    ("duckdb", "cast('2024-01-01T10:00:00+02:00' as timestamp)", dt.datetime(2024, 1, 1, 10, 0)),
    ("postgres", "cast('2024-01-01T10:00:00+02:00' as timestamp)", dt.datetime(2024, 1, 1, 10, 0)),
]
# why the refused casts are refused: (engine, SQL, what it gives, the type the check refuses, declared source type)
REFUSED = [
    ("postgres", "cast('abcdef' as varchar(3))", "abc", "varchar(3)", None),
    ("duckdb", "cast('abcdef' as varchar(3))", "abcdef", "varchar(3)", None),
    ("postgres", "cast('ab' as char)", "a", "char", None),
    ("duckdb", "try_cast('abc' as integer)", None, "integer", None),
    ("duckdb", "cast(cast('0.30000000000000001' as double) = 0.3 as varchar)", "true", "double", None),
    ("duckdb", "cast(1.5::double as integer)", 2, "integer", "double"),
    ("postgres", "cast(1.5::double precision as integer)", 2, "integer", "double precision"),
    ("duckdb", "cast(1.239::decimal(10, 3) as decimal(10, 2))", Decimal("1.24"), "decimal(10, 2)", "decimal(10, 3)"),
    ("postgres", "cast(1.239::numeric(10, 3) as numeric(10, 2))", Decimal("1.24"), "numeric(10, 2)", "numeric(10, 3)"),
    ("postgres", "cast(timestamp '2024-01-01 10:00' as date)", dt.date(2024, 1, 1), "date", "timestamp"),
]


@pytest.fixture(scope="module")
def engines(postgres_server: Server) -> Iterator[dict[str, Run]]:
    """One connection per engine for the module: a select of a cast needs no table."""
    import duckdb

    memory = duckdb.connect()
    connection = postgres_server.connect()
    cursor = connection.cursor()

    def on_duckdb(sql: str) -> Any:
        row = memory.execute(f"select {sql}").fetchone()
        return row[0] if row else None

    def on_postgres(sql: str) -> Any:
        cursor.execute(f"select {sql}")
        return cursor.fetchone()[0]

    yield {"duckdb": on_duckdb, "postgres": on_postgres}
    connection.close()
    memory.close()


def _error(run: Run, sql: str) -> str | None:
    try:
        run(sql)
    except Exception as error:
        return str(error)
    return None


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("kind", "good", "value", "bad"), ALLOWED, ids=[case[0] for case in ALLOWED])
def test_an_allowed_cast_fails_on_a_value_it_cannot_hold(
    engines: dict[str, Run], engine: str, kind: str, good: str, value: Any, bad: list[str]
) -> None:
    assert cast_problem(type_of(kind, engine), None, engine) is None  # the check allows it
    got = engines[engine](f"cast('{good}' as {kind})")
    assert (str(got) if kind == "uuid" else got) == value
    kept = [text for text in bad if _error(engines[engine], f"cast('{text}' as {kind})") is None]
    assert kept == [], f"{engine} casts these to {kind} without an error"


@pytest.mark.postgres
@pytest.mark.parametrize(("engine", "sql", "value"), CHANGES)
def test_what_an_allowed_cast_still_changes_is_as_documented(
    engines: dict[str, Run], engine: str, sql: str, value: Any
) -> None:
    assert engines[engine](sql) == value


@pytest.mark.postgres
@pytest.mark.parametrize(("engine", "sql", "value", "kind", "source"), REFUSED)
def test_a_refused_cast_changes_values_and_the_check_refuses_it(
    engines: dict[str, Run], engine: str, sql: str, value: Any, kind: str, source: str | None
) -> None:
    assert engines[engine](sql) == value
    safe = sql.startswith("try_cast")
    declared = type_of(source, engine) if source else None
    assert cast_problem(type_of(kind, engine), declared, engine, safe=safe) is not None
