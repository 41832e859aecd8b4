"""The BigQuery dialect check: compiled SQL parsed with sqlglot's BigQuery dialect, DuckDB-only constructs caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataprodukt.checks.bigquery_dialect import find_problems
from dataprodukt.core import bigquery_emulator
from tests.conftest import clean_env, copy_project, run_cli


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select list(x) as xs from t", "list()"),
        ("select strptime(a, '%Y-%m-%d') as d from t", "strptime()"),
        ("select epoch_ms(a) as ms from t", "epoch_ms()"),
        ("select regexp_full_match(a, '[0-9]+') as ok from t", "regexp_full_match()"),
        ("select * from generate_series(1, 3)", "generate_series()"),
        ("select datediff('day', a, b) as n from t", "datediff()"),
        ("select a::int64 as n from t", "::"),
        ("select cast(a as varchar) as s from t", "type varchar"),
        ("select safe_cast(a as double) as f from t", "type double"),
        ("select extract(isodow from d) as wd from t", "isodow"),
        ("select a from t where a ilike 'x%'", "ilike"),
        ("select a from t where", "syntax"),
    ],
)
def test_duckdb_only_sql_is_caught(sql: str, construct: str) -> None:
    assert construct in [found for _line, found, _instead in find_problems(sql)]


@pytest.mark.parametrize(
    "sql",
    [
        "select safe.parse_date('%Y-%m-%d', a) as d, array_agg(x) as xs, `list` from `p-1`.ds.t group by d, `list`",
        "select text, cast(a as string) as tekst from t",
        "select mod(extract(dayofweek from d) + 5, 7) + 1 as iso_weekday from t",
        "select dato from unnest(generate_date_array(date '2024-01-01', date '2024-12-31')) as dato",
        "select cast(round(100 * a / nullif(b, 0), 2) as numeric(28, 6)) as p from t -- list(x) in a comment",
        "select 'strptime(x)' as not_a_call, regexp_contains(a, r'^[0-9]+$') as ok from t",
    ],
)
def test_bigquery_sql_passes(sql: str) -> None:
    assert find_problems(sql) == []


@pytest.mark.bigquery
def test_planted_duckdb_only_model_and_test_are_caught_and_the_example_is_clean(
    tmp_path: Path, bq_emulator: bigquery_emulator.Emulator
) -> None:
    project = copy_project(tmp_path / "project")
    (project / "models" / "intermediate" / "int_planted.sql").write_text(
        "-- DuckDB SQL that the emulator would run but BigQuery rejects\n"
        "select strptime('2024-01-01', '%Y-%m-%d') as dato, cast(1 as varchar) as tekst\n",
        encoding="utf-8",
    )
    (project / "tests" / "dbt").mkdir(parents=True, exist_ok=True)
    (project / "tests" / "dbt" / "assert_planted_kvartal.sql").write_text(
        "select * from {{ ref('int_kvartaler') }} where kvartal::varchar = ''\n", encoding="utf-8"
    )
    env = clean_env(**bq_emulator.env())
    result = run_cli(
        project, "check", "--target", "bigquery_emulator", "--only", "bigquery_dialect", env=env, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    flagged = [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")]
    assert flagged == [
        "assert_planted_kvartal (tests/dbt/assert_planted_kvartal.sql): ::: not BigQuery (line 1 of the compiled SQL): "
        "write cast(x as type)",
        "assert_planted_kvartal (tests/dbt/assert_planted_kvartal.sql): type varchar: not BigQuery (line 1 of the "
        "compiled SQL): write string (dbt.type_string())",
        "int_planted (models/intermediate/int_planted.sql): strptime(): not BigQuery (line 2 of the compiled SQL): "
        "write parse_date / parse_timestamp",
        "int_planted (models/intermediate/int_planted.sql): type varchar: not BigQuery (line 2 of the compiled SQL): "
        "write string (dbt.type_string())",
    ]


def test_check_on_a_non_bigquery_target_says_how_to_run_it(tmp_path: Path) -> None:
    from dataprodukt.checks import CheckContext
    from dataprodukt.checks.bigquery_dialect import run
    from dataprodukt.core.project import Project

    context = CheckContext(Project(copy_project(tmp_path / "project"), "duckdb"), {"nodes": {}})
    assert run(context) == []
    assert "dataprodukt check --target bigquery_emulator --only bigquery_dialect" in context.notes[0]
