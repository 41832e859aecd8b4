"""The history integrity tests (macros/history/history_*.sql) catch each kind of broken history.

A real history is built from hand-written batches, one violation is planted with SQL, and `dbt test` on the
history must fail exactly the tests that guard against it (and pass once the history is restored).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.history import SM_HEADER, load, sm, write_batches

ENGINES = [pytest.param("duckdb", id="duckdb"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]
HISTORY = "historikk.hist_sykmelding__sykmeldinger"
FAR = "cast('9999-12-31' as timestamp)"

# violation -> (SQL that plants it, the tests that must fail)
PLANTED = {
    "a second current row": (
        [f"insert into {HISTORY} select * from {HISTORY} where sykmelding_id = 'SM3'"],
        {"history_one_current_row", "history_no_overlap", "history_unique_valid_from"},
    ),
    "an empty interval": (
        [f"update {HISTORY} set gyldig_til = gyldig_fra where sykmelding_id = 'SM1' and gyldig_til < {FAR}"],
        {"history_valid_from_before_valid_to"},
    ),
    "an overlapping version": (
        [
            f"update {HISTORY} set gyldig_til = gyldig_til + interval '1 day' "
            f"where sykmelding_id = 'SM1' and gyldig_til < {FAR}"
        ],
        {"history_no_overlap"},
    ),
    "a lost deletion row": (
        [f"delete from {HISTORY} where er_slettet = 'True'"],
        {"history_one_current_row", "history_row_count_never_decreases"},
    ),
    "a deletion not recorded": (
        [f"update {HISTORY} set er_slettet = 'False' where er_slettet = 'True'"],
        {"history_deletions_recorded"},
    ),
    "a re-insert not recorded": (
        [f"update {HISTORY} set er_slettet = 'True' where sykmelding_id = 'SM3'"],
        {"history_deletions_recorded"},
    ),
}


def execute(project: Path, target: str, env: dict[str, str], statements: list[str]) -> None:
    if target == "duckdb":
        import duckdb

        connection = duckdb.connect(str(project / "build" / "sykefravaer.duckdb"))
        try:
            for statement in statements:
                connection.execute(statement)
        finally:
            connection.close()
        return
    connection = postgres.connect(env)
    with connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


def failing_history_tests(project: Path, target: str, env: dict[str, str]) -> set[str]:
    """Run `dbt test` on the history; the names of the generic tests that failed."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "test",
            "--select",
            "hist_sykmelding__sykmeldinger",
            "--target",
            target,
        ],
        cwd=project,
        env={**env, "DBT_PROFILES_DIR": str(project / "profiles")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    results = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    assert results, "dbt test ran no test"
    failed = set()
    for result in results:
        if result["unique_id"].startswith("test.") and result["status"] != "pass":
            name = result["unique_id"].split(".")[2]
            failed.add(next((test for test in ALL_TESTS if name.startswith(test)), name))
    return failed


ALL_TESTS = sorted({test for _, tests in PLANTED.values() for test in tests}, key=len, reverse=True)


@pytest.mark.parametrize("target", ENGINES)
def test_each_planted_violation_fails_its_tests(
    target: str, project_copy: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import clean_env

    env = clean_env(**request.getfixturevalue("pg_env")) if target == "postgres" else clean_env()
    # SM1 changes, SM2 is deleted, SM3 stays
    header = SM_HEADER
    folders = write_batches(
        tmp_path / "raw",
        [
            {"sykmeldinger": "\n".join([header, sm("SM1"), sm("SM2"), sm("SM3")])},
            {"sykmeldinger": "\n".join([header, sm("SM1", "50", "2025-01-08 09:00:00"), sm("SM3")])},
        ],
    )
    load(project_copy, target, env, folders)
    assert failing_history_tests(project_copy, target, env) == set(), "a correct history passes every test"
    execute(project_copy, target, env, [f"create table historikk.kopi as select * from {HISTORY}"])
    restore = [f"delete from {HISTORY}", f"insert into {HISTORY} select * from historikk.kopi"]

    for violation, (statements, expected) in PLANTED.items():
        execute(project_copy, target, env, statements)
        assert failing_history_tests(project_copy, target, env) == expected, violation
        execute(project_copy, target, env, restore)
    assert failing_history_tests(project_copy, target, env) == set()


EXAMPLE_HISTORIES = {
    "hist_sykmelding__sykmeldinger": "sykmelding_id",
    "hist_aareg__arbeidsforhold": "arbeidsforhold_id",
    "hist_enhetsregisteret__virksomheter": "organisasjonsnummer",
}


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["example_duckdb", pytest.param("example_postgres", marks=pytest.mark.postgres)])
def test_the_example_records_real_changes_in_a_clean_history(fixture: str, request: pytest.FixtureRequest) -> None:
    """The issue's check: `dataprodukt run` leaves closed rows, one current row per key and no overlap (plain SQL)."""
    from tests.support.history import query

    example = request.getfixturevalue(fixture)

    def value(sql: str) -> object:
        return query(example.root, example.target, example.env, sql)[1][0][0]

    for history, key in EXAMPLE_HISTORIES.items():
        table = f"historikk.{history}"
        assert value(f"select count(*) from {table} where gyldig_til < {FAR}"), f"{history} has no closed row"
        not_one_current = value(
            f"select count(*) from (select {key} from {table} group by {key} "
            f"having sum(case when gyldig_til = {FAR} then 1 else 0 end) != 1) as bad"
        )
        assert not_one_current == 0, f"{history}: {not_one_current} keys without exactly one current row"
        overlaps = value(
            f"select count(*) from {table} as a join {table} as b on a.{key} = b.{key} "
            "and a.historikk_id != b.historikk_id and a.gyldig_fra < b.gyldig_til and b.gyldig_fra < a.gyldig_til"
        )
        assert overlaps == 0, f"{history}: {overlaps} overlapping pairs of versions"
    assert value("select count(*) from historikk.hist_sykmelding__sykmeldinger where er_slettet = 'True'")
