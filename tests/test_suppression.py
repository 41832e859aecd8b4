"""Small-cell suppression, run for real: the compiled macro over random tables on DuckDB (and once on PostgreSQL)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import copy_project

THRESHOLD = 5
MARGINS = (("a", "b"), ("a", "c"))
CALL = (
    "{{ suppress_small_cells('celler', count_column='antall', margins=[['a', 'b'], ['a', 'c']], "
    "measures=['verdi'], threshold=" + str(THRESHOLD) + ", passes=%d) }}"
)


def compile_inline(project: Path, sql: str, target: str = "duckdb") -> str:
    from dbt.cli.main import dbtRunner

    (project / "build").mkdir(exist_ok=True)
    result = dbtRunner().invoke(
        [
            "--quiet",
            "compile",
            "--inline",
            sql,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project / "profiles"),
            "--target",
            target,
        ]
    )
    assert result.success, result.exception
    return str(result.result.results[0].node.compiled_code)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    project = copy_project(tmp_path_factory.mktemp("suppression"))
    # many passes (the usual case) and a single pass (the block fallback must then keep the guarantee)
    return {passes: compile_inline(project, CALL % passes) for passes in (12, 1)}


Cell = tuple[str, str, str]
cells_strategy = st.dictionaries(
    keys=st.tuples(
        st.sampled_from(["2024-Q1", "2024-Q2"]), st.sampled_from("CFGQ"), st.sampled_from(["03", "11", "46"])
    ),
    values=st.one_of(st.integers(0, 12), st.integers(0, 400)),
    min_size=1,
    max_size=24,
)


def suppress(sql: str, cells: dict[Cell, int]) -> dict[Cell, tuple[Any, Any, Any]]:
    with duckdb.connect() as connection:
        connection.execute("create table celler (a varchar, b varchar, c varchar, antall bigint, verdi double)")
        connection.executemany(
            "insert into celler values (?, ?, ?, ?, ?)", [(*cell, count, count * 1.5) for cell, count in cells.items()]
        )
        rows = connection.sql(sql).fetchall()
    assert len(rows) == len(cells)
    return {(a, b, c): (antall, verdi, prikket) for a, b, c, antall, verdi, prikket in rows}


def groups(cells: dict[Cell, Any]) -> list[list[Cell]]:
    found: dict[tuple[int, tuple[str, ...]], list[Cell]] = defaultdict(list)
    for cell in cells:
        for index, margin in enumerate(MARGINS):
            found[(index, tuple(cell["abc".index(column)] for column in margin))].append(cell)
    return list(found.values())


@pytest.mark.parametrize("passes", [12, 1])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=cells_strategy)
def test_no_small_cell_published_and_none_recoverable_from_totals(
    compiled: dict[int, str], passes: int, cells: dict[Cell, int]
) -> None:
    result = suppress(compiled[passes], cells)
    for cell, count in cells.items():
        antall, verdi, prikket = result[cell]
        if prikket is None:
            assert antall == count >= THRESHOLD
            assert verdi == count * 1.5
        else:
            assert antall is None and verdi is None
            assert prikket == ("PRIMAER" if count < THRESHOLD else "SEKUNDAER")
    for group in groups(cells):
        suppressed = [cell for cell in group if result[cell][2] is not None]
        if len(group) >= 2:
            # total minus the published cells would give a lone suppressed cell away
            assert len(suppressed) != 1, (group, [result[cell] for cell in group])
    if all(count >= THRESHOLD for count in cells.values()):
        assert all(prikket is None for _, _, prikket in result.values())


def test_secondary_suppression_takes_the_smallest_complement(compiled: dict[int, str]) -> None:
    cells = {
        ("2024-Q1", "C", "03"): 2,
        ("2024-Q1", "C", "11"): 40,
        ("2024-Q1", "C", "46"): 9,
        ("2024-Q1", "Q", "03"): 30,
        ("2024-Q1", "Q", "11"): 50,
        ("2024-Q1", "Q", "46"): 60,
    }
    result = suppress(compiled[12], cells)
    flags = {cell: prikket for cell, (_, _, prikket) in result.items()}
    # C-03 is small; in its industry group the smallest other cell is C-46, in its county group Q-03;
    # then county 46 and industry Q each have one suppressed cell, and Q-46 closes both
    assert flags == {
        ("2024-Q1", "C", "03"): "PRIMAER",
        ("2024-Q1", "C", "11"): None,
        ("2024-Q1", "C", "46"): "SEKUNDAER",
        ("2024-Q1", "Q", "03"): "SEKUNDAER",
        ("2024-Q1", "Q", "11"): None,
        ("2024-Q1", "Q", "46"): "SEKUNDAER",
    }


@pytest.mark.postgres
def test_same_suppression_on_postgres(
    project_copy: Path, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, compiled: dict[int, str]
) -> None:
    import psycopg2

    for name, value in pg_env.items():
        monkeypatch.setenv(name, value)
    sql = compile_inline(project_copy, CALL % 12, target="postgres")
    cells = {
        cell: (index * 7) % 13
        for index, cell in enumerate(itertools.product(["2024-Q1", "2024-Q2"], "CFGQ", ["03", "11", "46"]))
    }
    connection = psycopg2.connect(
        host=pg_env["PGHOST"],
        port=pg_env["PGPORT"],
        user=pg_env["PGUSER"],
        password=pg_env["PGPASSWORD"],
        dbname=pg_env["PGDATABASE"],
    )
    with connection, connection.cursor() as cursor:
        cursor.execute("create temporary table celler (a text, b text, c text, antall bigint, verdi float8)")
        cursor.executemany(
            "insert into celler values (%s, %s, %s, %s, %s)",
            [(*cell, count, count * 1.5) for cell, count in cells.items()],
        )
        cursor.execute(sql)
        on_postgres = {(a, b, c): (antall, verdi, prikket) for a, b, c, antall, verdi, prikket in cursor.fetchall()}
    connection.close()
    assert on_postgres == suppress(compiled[12], cells)
    assert any(prikket == "SEKUNDAER" for _, _, prikket in on_postgres.values())


def test_compiled_suppression_is_bigquery_sql(compiled: dict[int, str]) -> None:
    """The macro has no engine-specific branch: the SQL compiled here must also be valid BigQuery SQL."""
    import sqlglot

    for sql in compiled.values():
        tree = sqlglot.parse_one(sql, read="bigquery")
        assert tree.find(sqlglot.exp.Window) is not None
