"""The history integrity tests (macros/history/history_*.sql) catch each kind of broken history.

A real history is built from hand-written batches, one violation is planted with SQL, and `dbt test` on the
history must fail exactly the tests that guard against it, each with exactly the rules (column `regel` of the
offending rows) that the violation breaks (and pass once the history is restored).
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

VERSIONS, DELETIONS, ROW_COUNT = (
    "history_versions_valid",
    "history_deletions_recorded",
    "history_row_count_never_decreases",
)
ONE_CURRENT = (VERSIONS, "a key has exactly one current row (gyldig_til = 9999-12-31)")
REAL_INTERVAL = (VERSIONS, "gyldig_fra is before gyldig_til")
NO_OVERLAP = (VERSIONS, "validity intervals of a key do not overlap")
UNIQUE_FROM = (VERSIONS, "(key, gyldig_fra) is unique")
GONE = (DELETIONS, "a key gone from the source has a deletion row as its current row")
IN_SOURCE = (DELETIONS, "a key in the source has a live current row, not a deletion row")
CLOSES = (DELETIONS, "a deletion row closes a live version of its key")
NEVER_FEWER = (ROW_COUNT, "a history never has fewer rows than an earlier run logged")

# violation -> (SQL that plants it, the (test, rule) pairs that must fail)
PLANTED = {
    "a second current row": (
        [f"insert into {HISTORY} select * from {HISTORY} where sykmelding_id = 'SM3'"],
        {ONE_CURRENT, NO_OVERLAP, UNIQUE_FROM},
    ),
    "an empty interval": (
        [f"update {HISTORY} set gyldig_til = gyldig_fra where sykmelding_id = 'SM1' and gyldig_til < {FAR}"],
        {REAL_INTERVAL},
    ),
    "an overlapping version": (
        [
            f"update {HISTORY} set gyldig_til = gyldig_til + interval '1 day' "
            f"where sykmelding_id = 'SM1' and gyldig_til < {FAR}"
        ],
        {NO_OVERLAP},
    ),
    "a lost deletion row": (
        [f"delete from {HISTORY} where er_slettet = 'True'"],
        {ONE_CURRENT, NEVER_FEWER},
    ),
    "a deletion not recorded": (
        [f"update {HISTORY} set er_slettet = 'False' where er_slettet = 'True'"],
        {GONE},
    ),
    "a re-insert not recorded": (
        [f"update {HISTORY} set er_slettet = 'True' where sykmelding_id = 'SM3'"],
        {IN_SOURCE, CLOSES},
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


def failing_history_tests(project: Path, target: str, env: dict[str, str]) -> set[tuple[str, str]]:
    """Run `dbt test` on the history; (generic test, rule) for every rule an offending row of a failed test names."""
    from tests.support.history import query

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
            test = next((test for test in ALL_TESTS if name.startswith(test)), name)
            offenders = f"select distinct regel from ({result['compiled_code']}) as offenders"
            _, rows = query(project, target, env, offenders)
            assert rows, f"{name} failed without an offending row: {result['message']}"
            failed.update((test, rule) for (rule,) in rows)
    return failed


ALL_TESTS = [VERSIONS, DELETIONS, ROW_COUNT]


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
