"""The example data product, built by the main job on DuckDB and PostgreSQL, holds the right numbers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import psycopg2
import pytest

from dataprodukt.load.generator import list_batches
from tests.conftest import BuiltExample
from tests.support.expected import sick_leave_statistic
from tests.support.relations import relation_name

STATISTIC_COLUMNS = [
    "kvartal",
    "naering_hovedomraade",
    "fylkesnummer",
    "antall_personer",
    "avtalte_dagsverk",
    "tapte_dagsverk",
    "sykefravaersprosent",
]


def relation(example: BuiltExample, model: str) -> str:
    return relation_name(example.root, model)


def read_duckdb(example: BuiltExample, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(example.root / "build" / "sykefravaer.duckdb"), read_only=True) as connection:
        return connection.execute(sql).df()


def read_postgres(example: BuiltExample, sql: str) -> pd.DataFrame:
    env = example.env
    connection = psycopg2.connect(
        host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env["PGPASSWORD"], dbname=env["PGDATABASE"]
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            columns = [column.name for column in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)
    finally:
        connection.close()


def expected(example: BuiltExample) -> pd.DataFrame:
    last_batch = list_batches(example.root / "build" / "raw")[-1]
    return sick_leave_statistic(last_batch, example.root / "seeds", [f"2024-Q{q}" for q in range(1, 5)])


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[STATISTIC_COLUMNS].copy()
    for column in STATISTIC_COLUMNS[3:]:
        frame[column] = frame[column].map(lambda value: float(value) if isinstance(value, Decimal) else value)
        frame[column] = frame[column].astype(float)
    return frame.sort_values(STATISTIC_COLUMNS[:3]).reset_index(drop=True)


def assert_statistic_matches(actual: pd.DataFrame, wanted: pd.DataFrame) -> None:
    actual, wanted = normalised(actual), normalised(wanted)
    assert len(actual) == len(wanted) > 100
    assert actual[STATISTIC_COLUMNS[:3]].equals(wanted[STATISTIC_COLUMNS[:3]])
    assert (actual["antall_personer"] == wanted["antall_personer"]).all()
    for column in ("avtalte_dagsverk", "tapte_dagsverk"):
        assert actual[column].to_numpy() == pytest.approx(wanted[column].to_numpy(), abs=1e-4)
    assert actual["sykefravaersprosent"].to_numpy() == pytest.approx(
        wanted["sykefravaersprosent"].to_numpy(), abs=0.0051
    )


def known_cell(frame: pd.DataFrame) -> pd.Series:
    """Oslo, health and social work (Q), first quarter of 2024: the largest cell of the example."""
    frame = normalised(frame)
    cell = frame[(frame.kvartal == "2024-Q1") & (frame.naering_hovedomraade == "Q") & (frame.fylkesnummer == "03")]
    assert len(cell) == 1
    return cell.iloc[0]


def test_duckdb_statistic_equals_an_independent_computation(example_duckdb: BuiltExample) -> None:
    actual = read_duckdb(example_duckdb, f"select * from {relation(example_duckdb, 'sykefravaersprosent')}")
    wanted = expected(example_duckdb)
    assert_statistic_matches(actual, wanted)
    cell = known_cell(actual)
    assert cell.sykefravaersprosent == pytest.approx(known_cell(wanted).sykefravaersprosent, abs=0.0051)
    assert 2.0 < cell.sykefravaersprosent < 15.0


@pytest.mark.postgres
def test_postgres_statistic_equals_duckdb_and_the_independent_computation(
    example_postgres: BuiltExample, example_duckdb: BuiltExample
) -> None:
    actual = read_postgres(example_postgres, f"select * from {relation(example_postgres, 'sykefravaersprosent')}")
    assert_statistic_matches(actual, expected(example_postgres))
    on_duckdb = read_duckdb(example_duckdb, f"select * from {relation(example_duckdb, 'sykefravaersprosent')}")
    assert_statistic_matches(actual, on_duckdb)


def test_history_records_the_change_batches(example_duckdb: BuiltExample) -> None:
    """Each change batch leaves closed rows and deletion rows behind; one current row per key."""
    for history, key in (
        ("hist_sykmelding__sykmeldinger", "sykmelding_id"),
        ("hist_aareg__arbeidsforhold", "arbeidsforhold_id"),
        ("hist_enhetsregisteret__virksomheter", "organisasjonsnummer"),
    ):
        counts = read_duckdb(
            example_duckdb,
            f"""
            select
                count(*) filter (where gyldig_til < timestamp '9999-12-31') as closed,
                count(distinct {key}) as keys,
                count(*) filter (where gyldig_til = timestamp '9999-12-31') as current_rows
            from historikk.{history}
            """,
        ).iloc[0]
        assert counts.closed > 0, history
        assert counts.current_rows == counts["keys"], history
    deleted = read_duckdb(
        example_duckdb, "select count(*) as n from historikk.hist_sykmelding__sykmeldinger where er_slettet = 'True'"
    )
    assert deleted.n.iloc[0] > 0


def test_rerun_loads_nothing_twice(project_copy: Path) -> None:
    from tests.conftest import run_cli

    run_cli(project_copy, "run", "--rows", "2000", "--batches", "1")
    before = _history_rows(project_copy)
    second = run_cli(project_copy, "run", "--rows", "2000", "--batches", "1")
    assert "history already holds every delivery: nothing to load" in second.stdout
    assert _history_rows(project_copy) == before


def _history_rows(root: Path) -> int:
    with duckdb.connect(str(root / "build" / "sykefravaer.duckdb"), read_only=True) as connection:
        return int(connection.execute("select count(*) from historikk.hist_sykmelding__sykmeldinger").fetchone()[0])


# --- source freshness: a delivery is a batch the loader loaded (raw.lastelogg) ------------------------------------
SOURCES = [("aareg", "arbeidsforhold"), ("enhetsregisteret", "virksomheter"), ("sykmelding", "sykmeldinger")]


def test_a_fresh_build_has_fresh_sources(example_duckdb: BuiltExample) -> None:
    found = read_duckdb(
        example_duckdb, "select source_name, table_name, status, warn_after from drift.kildeferskhet order by 1, 2"
    )
    assert [tuple(row) for row in found[["source_name", "table_name", "status"]].itertuples(index=False)] == [
        (*source, "pass") for source in SOURCES
    ]


def test_the_freshness_threshold_is_the_examples_delivery_interval_and_a_day() -> None:
    import yaml

    from dataprodukt.load.generator import BATCH_INTERVAL
    from tests.conftest import EXAMPLE

    for source, _table in SOURCES:
        text = (EXAMPLE / "models" / "staging" / source / f"_{source}__sources.yml").read_text(encoding="utf-8")
        config = yaml.safe_load(text)["sources"][0]["config"]
        assert config["freshness"]["warn_after"] == {"count": BATCH_INTERVAL.days + 1, "period": "day"}, source
        assert config["loaded_at_query"].strip() == "{{ source_delivered_at() }}", source


def test_a_source_that_stops_delivering_warns(example_duckdb: BuiltExample, tmp_path: Path) -> None:
    """The example's warehouse, copied, with every delivery 9 days old: one interval and a day have passed."""
    import json
    import shutil
    import subprocess
    import sys

    from tests.conftest import clean_env, copy_project

    project = copy_project(tmp_path / "project")
    (project / "build").mkdir()
    warehouse = project / "build" / "sykefravaer.duckdb"
    shutil.copy2(example_duckdb.root / "build" / "sykefravaer.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        old = connection.execute(
            "select strftime(now() at time zone 'UTC' - interval 9 day, '%Y-%m-%dT%H:%M:%S+00:00')"
        ).fetchone()
        assert old is not None
        connection.execute("update raw.lastelogg set loaded_at = ?", [old[0]])
    dbt = str(Path(sys.executable).parent / "dbt")
    env = clean_env(DBT_PROFILES_DIR=str(project / "profiles"), DUCKDB_PATH=str(warehouse))
    done = subprocess.run(
        [dbt, "source", "freshness"], cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    results = json.loads((project / "target" / "sources.json").read_text(encoding="utf-8"))["results"]
    found = sorted((result["unique_id"].split(".")[-2:], result["status"]) for result in results)
    assert found == [([source, table], "warn") for source, table in SOURCES], done.stdout[-3000:]
    assert "WARN freshness of aareg.arbeidsforhold" in done.stdout
