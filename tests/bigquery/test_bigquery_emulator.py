"""The example data product built end to end on the BigQuery emulator, and the same numbers as on the other engines."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.core import bigquery_emulator
from dataprodukt.core.errors import UserError
from tests.bigquery.conftest import EMULATOR_VENV, free_port
from tests.conftest import BuiltExample, clean_env, copy_project, run_cli

pytestmark = pytest.mark.bigquery

STATISTIC = "sykefravaer_statistikk.sykefravaersprosent_p2024_q1_p2024_q4_v1"
STATISTIC_COLUMNS = (
    "kvartal, naering_hovedomraade, fylkesnummer, antall_personer, avtalte_dagsverk, tapte_dagsverk, "
    "sykefravaersprosent"
)


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows comparable across engines: decimals as Decimal, everything else as it is, in one order."""
    return sorted(
        (tuple(Decimal(str(value)) if isinstance(value, float | Decimal) else value for value in row) for row in rows),
        key=repr,
    )


def _duckdb_rows(example: BuiltExample, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    connection = duckdb.connect(str(example.root / "build" / "sykefravaer.duckdb"), read_only=True)
    try:
        return list(connection.execute(sql).fetchall())
    finally:
        connection.close()


def test_statistic_is_the_same_table_as_on_duckdb(
    example_bigquery: BuiltExample, example_duckdb: BuiltExample, bq_warehouse: Any
) -> None:
    sql = f"select {STATISTIC_COLUMNS} from {STATISTIC}"
    on_bigquery = _rows(bq_warehouse.query(sql))
    on_duckdb = _rows(_duckdb_rows(example_duckdb, sql))
    assert len(on_bigquery) > 100
    assert on_bigquery == on_duckdb
    # one named cell, as a reader would look it up
    cell = f"{sql} where kvartal = '2024-Q1' and naering_hovedomraade = 'Q' and fylkesnummer = '03'"
    assert _rows(bq_warehouse.query(cell)) == _rows(_duckdb_rows(example_duckdb, cell))
    assert len(bq_warehouse.query(cell)) == 1


@pytest.mark.postgres
def test_statistic_is_the_same_table_as_on_postgres(
    example_bigquery: BuiltExample, example_postgres: BuiltExample, bq_warehouse: Any
) -> None:
    import psycopg2

    env = example_postgres.env
    connection = psycopg2.connect(
        host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env["PGPASSWORD"], dbname=env["PGDATABASE"]
    )
    sql = f"select {STATISTIC_COLUMNS} from {STATISTIC}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        on_postgres = _rows(list(cursor.fetchall()))
    connection.close()
    assert _rows(bq_warehouse.query(sql)) == on_postgres


def test_history_records_changes_and_deletions_as_on_duckdb(
    example_bigquery: BuiltExample, example_duckdb: BuiltExample, bq_warehouse: Any
) -> None:
    for history in (
        "hist_sykmelding__sykmeldinger",
        "hist_aareg__arbeidsforhold",
        "hist_enhetsregisteret__virksomheter",
    ):
        sql = f"select er_slettet, count(*) from historikk.{history} group by er_slettet"
        assert _rows(bq_warehouse.query(sql)) == _rows(_duckdb_rows(example_duckdb, sql)), history
    deleted = bq_warehouse.query(
        "select count(*) from historikk.hist_sykmelding__sykmeldinger where er_slettet = 'True'"
    )
    assert deleted[0][0] > 0
    batches = bq_warehouse.query("select batch from raw.lastelogg order by batch")
    assert [batch for (batch,) in batches] == ["batch_000", "batch_001", "batch_002", "batch_003"]


def test_published_tables_carry_their_bigquery_configs(example_bigquery: BuiltExample, bq_warehouse: Any) -> None:
    run_sql = example_bigquery.root / "target" / "run" / "sykefravaer" / "models"
    person = (run_sql / "klargjorte_data" / "sykefravaer_person_v1.sql").read_text(encoding="utf-8")
    assert "cluster by kvartal, organisasjonsnummer" in person
    assert "('data_state', 'processed_data'), ('version', '1')" in person
    statistic = (run_sql / "statistikk" / "sykefravaersprosent_v1.sql").read_text(encoding="utf-8")
    assert "labels=[('product', 'sykefravaer'), ('data_state', 'statistics'), ('version', '1')" in statistic
    # the contract (not null) and persist_docs (description) reach the table; the emulator keeps no labels,
    # partitioning or clustering, so those are asserted on the DDL above only
    table = bq_warehouse.client.get_table(f"{bq_warehouse.project}.{STATISTIC}")
    modes = {field.name: field.mode for field in table.schema}
    assert modes["kvartal"] == "REQUIRED"
    assert modes["fylkesnummer"] == "NULLABLE"
    assert table.description.startswith("Sykefraværsprosent per kvartal")


def test_docs_catalog_on_the_emulator_has_every_column(example_bigquery: BuiltExample) -> None:
    catalog = json.loads((example_bigquery.root / "target" / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((example_bigquery.root / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert not catalog.get("errors")
    node = catalog["nodes"]["model.sykefravaer.sykefravaersprosent.v1"]
    declared = set(manifest["nodes"]["model.sykefravaer.sykefravaersprosent.v1"]["columns"])
    assert set(node["columns"]) == declared
    assert node["columns"]["antall_personer"]["type"] == "INT64"
    assert node["columns"]["sykefravaersprosent"]["type"] == "NUMERIC"
    assert node["metadata"]["type"] == "table"
    history = catalog["nodes"]["snapshot.sykefravaer.hist_sykmelding__sykmeldinger"]
    assert history["columns"]["gyldig_til"]["type"] == "TIMESTAMP"
    assert catalog["sources"], "the raw tables are in the catalog too"


def test_status_reads_the_run_log_in_bigquery(example_bigquery: BuiltExample) -> None:
    """`dataprodukt status --target ...` on BigQuery: the main job's run, its slowest models and volumes."""
    status = example_bigquery.cli("status").stdout
    sections = [status.index(name) for name in ("Last runs", "Failures", "Slowest models", "Data volume", "Stale")]
    assert sections == sorted(sections)
    last_runs = status[sections[0] : sections[1]]
    assert "success" in last_runs and "bigquery_emulator" in last_runs
    assert "sykefravaersprosent" in status[sections[2] : sections[3]]


def test_loader_replaces_raw_tables_all_or_nothing(bq_warehouse: Any, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("ID,NAVN\n1,en\n2,to\n", encoding="utf-8")
    assert bq_warehouse.replace_tables("raw_loader_test", {"personer": (first, ["ID", "NAVN"])}) == {"personer": 2}
    table = bq_warehouse.client.get_table(f"{bq_warehouse.project}.raw_loader_test.personer")
    assert [(field.name, field.field_type) for field in table.schema] == [("id", "STRING"), ("navn", "STRING")]

    second = tmp_path / "second.csv"
    second.write_text("ID,NAVN\n3,tre\n", encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text('ID,NAVN\n1,en\n2,to,tre,fire\n"open,5\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"broken\.csv: the load job into .*steder__innlasting failed"):
        bq_warehouse.replace_tables(
            "raw_loader_test", {"personer": (second, ["ID", "NAVN"]), "steder": (broken, ["ID", "NAVN"])}
        )
    # nothing replaced, no side tables left behind
    assert _rows(bq_warehouse.query("select id, navn from raw_loader_test.personer")) == [("1", "en"), ("2", "to")]
    tables = bq_warehouse.query("select table_name from raw_loader_test.INFORMATION_SCHEMA.TABLES")
    assert [name for (name,) in tables] == ["personer"]


def test_emulator_that_does_not_answer_in_time_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    emulator = bigquery_emulator.Emulator(
        tmp_path / "slow", free_port(), free_port(), "dataprodukt-test", EMULATOR_VENV
    )
    with pytest.raises(UserError, match=r"did not answer at http://127\.0\.0\.1:\d+/healthz within 0 s, so it was"):
        bigquery_emulator.start(emulator, timeout=0.01)
    assert not emulator.pid_file.exists()
    assert not bigquery_emulator.healthy(emulator.endpoint)


def test_bq_emulator_verb_starts_reports_and_stops(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    port, grpc_port = free_port(), free_port()
    env = clean_env(BQ_EMULATOR_VENV=str(EMULATOR_VENV))
    started = run_cli(project, "bq-emulator", "start", "--port", str(port), "--grpc-port", str(grpc_port), env=env)
    try:
        assert "BigQuery emulator running (process" in started.stdout
        assert f"export BQ_EMULATOR_ENDPOINT=http://127.0.0.1:{port}" in started.stdout
        status = run_cli(project, "bq-emulator", "status", env=env)
        assert f"answering at http://127.0.0.1:{port}" in status.stdout
    finally:
        stopped = run_cli(project, "bq-emulator", "stop", env=env)
    assert "stopped" in stopped.stdout
    after = run_cli(project, "bq-emulator", "status", env=env, check=False)
    assert after.returncode == 1
    assert f"127.0.0.1:{port}" not in after.stdout


def test_emulator_target_without_an_emulator_fails_at_once_saying_what_to_do(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = run_cli(
        project, "check", "--target", "bigquery_emulator", env=clean_env(BQ_EMULATOR_ENDPOINT=endpoint), check=False
    )
    assert result.returncode == 2
    # the last line (a note on the local development pseudonymisation key may come before it)
    assert result.stderr.strip().splitlines()[-1] == (
        f"dataprodukt check: error: target bigquery_emulator: no BigQuery emulator answers at {endpoint}: "
        "start it with `dataprodukt bq-emulator start` (or set BQ_EMULATOR_ENDPOINT to where it runs)"
    )


def test_production_runs_take_dbt_bigquerys_own_macros(tmp_path: Path, bq_emulator: bigquery_emulator.Emulator) -> None:
    """The emulator work-arounds stay out of production: a target not named bigquery_emulator sends dbt-bigquery's
    own SQL, which the emulator is known to refuse (set options with parentheses; __TABLES__ for the catalog)."""
    import secrets
    import subprocess
    import sys

    project = copy_project(tmp_path / "project")
    (project / "profiles" / "profiles.yml").write_text(
        "sykefravaer:\n  target: production_path\n  outputs:\n    production_path:\n      type: bigquery\n"
        "      method: oauth-secrets\n      token: emulator\n      project: production-path\n"
        f"      dataset: sykefravaer\n      api_endpoint: {bq_emulator.endpoint}\n      job_retries: 0\n",
        encoding="utf-8",
    )
    dbt = str(Path(sys.executable).parent / "dbt")
    # production gets no development key: it sets its own (a random one here)
    env = clean_env(DBT_PROFILES_DIR=str(project / "profiles"), DATAPRODUKT_PSEUDONYM_KEY=secrets.token_hex(32))
    outputs = []
    for command in (["seed"], ["docs", "generate"]):
        result = subprocess.run(
            [dbt, *command], cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        outputs.append(result.stdout)
    seed, docs = outputs
    assert "OK loaded seed file kodeverk.diagnosegrupper" in seed  # a description without parentheses passes
    assert "ERROR loading seed file kodeverk.fylker" in seed  # "(kodeliste)" breaks the emulator's parser
    assert "__TABLES__ was not found" in docs


TRICKY_TEXTS = ["it's", "back\\slash", "line\nbreak", 'quote " and æøå', '{"json": "a \\"b\\" c"}', "''", "\\'"]


def test_text_literals_round_trip_on_bigquery(bq_warehouse: Any) -> None:
    for text in TRICKY_TEXTS:
        assert bq_warehouse.query(f"select {bq_warehouse.text_literal(text)} as value") == [(text,)], text


def test_text_literals_round_trip_on_duckdb(tmp_path: Path) -> None:
    from dataprodukt.core.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(tmp_path / "literal.duckdb")
    try:
        for text in TRICKY_TEXTS:
            assert warehouse.query(f"select {warehouse.text_literal(text)} as value") == [(text,)], text
    finally:
        warehouse.close()
