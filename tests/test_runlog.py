"""The run log: each run of the main job is appended to the warehouse; `dataprodukt status` reads it back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.commands.status import table
from dataprodukt.runlog.results import node_results
from tests.conftest import clean_env, run_cli
from tests.support.relations import relation_name
from tests.support.runlog_job import run_job

FAILING_MODEL = "-- planted: reads a table that does not exist\nselect * from raw.finnes_ikke\n"


def query(project: Path, env: dict[str, str], target: str, sql: str) -> list[tuple[Any, ...]]:
    """Read the warehouse the way the CLI does (the profile's connection), in a separate process."""
    script = (
        "import json, sys\n"
        "from dataprodukt.core.project import Project\n"
        "from dataprodukt.core.warehouse import connected\n"
        "with connected(Project.discover(target=sys.argv[1])) as w:\n"
        "    print(json.dumps([list(r) for r in w.query(sys.argv[2])], default=str))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, target, sql], cwd=project, env=env, capture_output=True, text=True, check=True
    )
    return [tuple(row) for row in json.loads(done.stdout)]


def plant_failure(project: Path) -> None:
    (project / "models" / "intermediate" / "int_plantet_feil.sql").write_text(FAILING_MODEL, encoding="utf-8")


def check_run_log(project: Path, env: dict[str, str], target: str) -> None:
    first = run_job(project, target, env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]

    runs = query(project, env, target, "select run_id, command, target, status, error from drift.kjoringer")
    assert [(row[1], row[2], row[3], row[4]) for row in runs] == [("run", target, "success", None)]
    run_id = runs[0][0]
    commands = {
        row[0] for row in query(project, env, target, f"select command from drift.dbt_kall where run_id = '{run_id}'")
    }
    # a delivery's history run selects the histories that read its sources (`snapshot --select source:aareg+ ...`)
    verbs = {command.split(" --")[0] for command in commands}
    assert {"parse", "snapshot", "build", "docs generate", "source freshness"} <= verbs
    assert any(command.startswith("snapshot --select source:aareg+") for command in commands), commands
    # every model of the build has a row, with the rows it holds (counted when the adapter reports none)
    built = dict(
        query(
            project,
            env,
            target,
            "select r.name, coalesce(r.rows_affected, r.table_rows) from drift.noderesultater r "
            "join drift.dbt_kall k on k.invocation_id = r.invocation_id "
            f"where r.run_id = '{run_id}' and k.command = 'build' and r.resource_type = 'model' "
            "and r.status = 'success'",
        )
    )
    assert {"sykefravaer_person.v1", "sykefravaersprosent.v1", "sykefravaer.v1", "int_kvartaler"} <= set(built)
    person = relation_name(project, "sykefravaer_person", quoted=False)
    actual = query(project, env, target, f"select count(*) from {person}")[0][0]
    assert int(built["sykefravaer_person.v1"]) == int(actual) > 0
    freshness = query(project, env, target, "select source_name, table_name, status from drift.kildeferskhet")
    # freshness is the time since each source's last delivery (a batch loaded), and the run has just loaded them
    assert sorted(freshness) == [
        ("aareg", "arbeidsforhold", "pass"),
        ("enhetsregisteret", "virksomheter", "pass"),
        ("sykmelding", "sykmeldinger", "pass"),
    ]

    plant_failure(project)
    second = run_job(project, target, env)
    assert second.returncode != 0
    runs = query(project, env, target, "select status, error from drift.kjoringer order by started_at")
    assert [row[0] for row in runs] == ["success", "error"]
    assert "int_plantet_feil" in runs[1][1]
    failed = query(
        project, env, target, "select name, status, message from drift.noderesultater where status = 'error'"
    )
    assert [(row[0], row[1]) for row in failed] == [("int_plantet_feil", "error")]
    assert "finnes_ikke" in failed[0][2]

    status = run_cli(project, "status", "--target", target, env=env)
    out = status.stdout
    sections = {name: out.index(name) for name in ("Last runs", "Failures", "Slowest models", "Data volume", "Stale")}
    assert list(sections) == sorted(sections, key=sections.get)  # in that order
    failures = out[sections["Failures"] : sections["Slowest models"]]
    assert "int_plantet_feil" in failures and "error" in failures
    last_runs = [line for line in out[sections["Last runs"] : sections["Failures"]].splitlines()[3:] if line.strip()]
    assert [line.split()[4] for line in last_runs] == ["error", "success"]  # newest first
    slowest = [line.split() for line in out[sections["Slowest models"] : sections["Data volume"]].splitlines()[3:]]
    seconds = [float(line[3]) for line in slowest if line]
    assert 3 <= len(seconds) <= 10 and seconds == sorted(seconds, reverse=True)
    assert {line[1] for line in slowest if line} <= {"model", "seed", "snapshot"}
    volume = out[sections["Data volume"] : sections["Stale"]]
    assert person in volume
    assert f"{int(actual):,}".replace(",", " ") in volume
    stale = out[sections["Stale"] :]
    assert "none: 3 source table(s) fresh" in stale


@pytest.mark.slow
def test_run_log_on_duckdb(project_copy: Path) -> None:
    check_run_log(project_copy, clean_env(), "duckdb")


@pytest.mark.slow
@pytest.mark.postgres
def test_run_log_on_postgres(project_copy: Path, pg_env: dict[str, str]) -> None:
    check_run_log(project_copy, clean_env(**pg_env), "postgres")


def test_a_run_log_that_cannot_be_written_never_hides_the_result(project_copy: Path) -> None:
    script = (
        "from dataprodukt.core.context import RunContext\n"
        "from dataprodukt.core.project import Project\n"
        "from dataprodukt.core.provenance import now\n"
        "from dataprodukt.runlog.writer import record_run\n"
        "context = RunContext.open(Project.discover(target='postgres'))\n"
        "print(record_run(context, command='run', started_at=now(), error='boom'))\n"
    )
    env = clean_env(PGHOST="127.0.0.1", PGPORT="1", PGPASSWORD="unused")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project_copy, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
    assert "the run log could not be written to postgres (drift): can't reach PostgreSQL at 127.0.0.1:1" in done.stderr


def test_status_before_any_run(project_copy: Path) -> None:
    result = run_cli(project_copy, "status")
    assert result.stdout.strip() == "no runs recorded in drift on target duckdb yet: run `dataprodukt run` first"


def test_node_results_read_bigquery_bytes() -> None:
    results = {
        "results": [
            {
                "unique_id": "model.sykefravaer.sykefravaer.v1",
                "status": "success",
                "execution_time": 1.5,
                "adapter_response": {"rows_affected": 484, "bytes_processed": 1048576, "bytes_billed": 10485760},
                "timing": [
                    {"name": "execute", "started_at": "2026-01-01T10:00:00Z", "completed_at": "2026-01-01T10:00:01Z"}
                ],
                "relation_name": "`p`.`utdata`.`sykefravaer_v1`",
            }
        ]
    }
    (row,) = node_results("run", "inv", results)
    assert (row["name"], row["rows_affected"], row["bytes_processed"], row["bytes_billed"]) == (
        "sykefravaer.v1",
        484,
        1048576,
        10485760,
    )
    assert row["started_at"].isoformat() == "2026-01-01T10:00:00+00:00"


def test_status_table_aligns_numbers_right() -> None:
    text = table(["model", "rows"], [["a", "5"], ["bbb", "1 200"]])
    assert text.splitlines() == ["  model   rows", "  -----  -----", "  a          5", "  bbb    1 200"]
