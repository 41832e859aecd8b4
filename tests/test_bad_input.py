"""Bad input gives one clear line (what, where, what to do), a non-zero exit, and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import clean_env, run_cli


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.startswith("dataprodukt ")]
    assert lines, result.stderr
    return lines[0]


def test_missing_environment_variable_for_a_profile(project_copy: Path) -> None:
    result = run_cli(project_copy, "run", "--target", "postgres", env=clean_env(), check=False)
    assert result.returncode == 2
    assert error_line(result) == (
        f"dataprodukt run: error: profile target 'postgres' in {project_copy / 'profiles' / 'profiles.yml'}: "
        "field 'password' needs the environment variable PGPASSWORD, which is not set: set it (see README, 'Targets')"
    )
    assert "Traceback" not in result.stderr
    assert not (project_copy / "build" / "raw").exists(), "nothing is generated before the target is known to work"


def test_unreachable_postgres(project_copy: Path) -> None:
    env = clean_env(PGHOST="127.0.0.1", PGPORT="1", PGPASSWORD="not-used")
    result = run_cli(project_copy, "run", "--target", "postgres", env=env, check=False)
    assert result.returncode == 2
    line = error_line(result)
    assert line.startswith("dataprodukt run: error: can't reach PostgreSQL at 127.0.0.1:1 as dataprodukt")
    assert "Start the server or set PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE" in line


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["run", "--target", "oracle"], {}, "argument --target: invalid choice: 'oracle'"),
        (
            ["run"],
            {"DBT_TARGET": "oracle"},
            "dataprodukt run: error: unknown target 'oracle': choose one of duckdb, postgres, bigquery, "
            "bigquery_emulator (--target or DBT_TARGET; the targets are defined in profiles/profiles.yml)",
        ),
    ],
)
def test_unknown_target(project_copy: Path, args: list[str], env: dict[str, str], expected: str) -> None:
    result = run_cli(project_copy, *args, env=clean_env(**env), check=False)
    assert result.returncode == 2
    assert expected in result.stderr


def test_raw_files_with_missing_and_misspelt_columns_load_nothing(project_copy: Path) -> None:
    run_cli(project_copy, "generate", "--rows", "300", "--batches", "1")
    raw = project_copy / "build" / "raw"
    misspelt = raw / "batch_000" / "sykmeldinger.csv"
    misspelt.write_text(misspelt.read_text().replace('"FNR"', '"FNRR"', 1))
    missing = raw / "batch_001" / "virksomheter.csv"
    lines = missing.read_text().splitlines()
    missing.write_text("\n".join(",".join(line.split(",")[1:]) for line in lines) + "\n")

    result = run_cli(project_copy, "load", check=False)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        f"{misspelt}: column FNR is missing (found 'FNRR': a misspelt column?); "
        "models/staging/sykmelding/_sykmelding__sources.yml declares it for sykmelding.sykmeldinger: "
        "fix the file or the source YAML"
    ) in result.stderr
    assert (
        f"{missing}: column ORGNR is missing; models/staging/enhetsregisteret/_enhetsregisteret__sources.yml "
        "declares it for enhetsregisteret.virksomheter: fix the file or the source YAML"
    ) in result.stderr
    with duckdb.connect(str(project_copy / "build" / "sykefravaer.duckdb"), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema in ('raw', 'historikk') "
            "and table_name <> 'lastelogg'"
        ).fetchall()
    assert tables == [], "no raw table and no history is written when any batch is bad"


def test_a_changed_batch_is_never_replayed_into_history(project_copy: Path) -> None:
    run_cli(project_copy, "run", "--rows", "300", "--batches", "0")
    extract = project_copy / "build" / "raw" / "batch_000" / "virksomheter.csv"
    extract.write_text(extract.read_text().replace("Virksomhet 1 AS", "Virksomhet 1 ASA"))
    result = run_cli(project_copy, "load", check=False)
    assert result.returncode == 2
    assert f"{extract.parent} differs from the batch_000 already loaded into history on this target" in result.stderr
