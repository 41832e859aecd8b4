"""Replay hand-written batches through the main job's history runs and compare every history row with an
independent Python model of SCD2 (tests/history_support.py), on DuckDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.history import SM_HEADER, assert_history, load, query, sm, write_batches

ENGINES = [pytest.param("duckdb", id="duckdb"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    from tests.conftest import clean_env

    if request.param == "postgres":
        return "postgres", clean_env(**request.getfixturevalue("pg_env"))
    return "duckdb", clean_env()


def sykmeldinger(*lines: str) -> dict[str, str]:
    return {"sykmeldinger": "\n".join([SM_HEADER, *lines])}


def virksomheter(*lines: str) -> dict[str, str]:
    return {"virksomheter": "\n".join(["ORGNR,NAVN,NAERINGSKODE,KOMMUNENR", *lines])}


# ---- project edits a source change brings (applied between two loads) ----------------------------------------
def edit(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    assert old in content, f"{path} no longer holds {old!r}: update the test"
    path.write_text(content.replace(old, new), encoding="utf-8")


def add_column(project: Path) -> None:
    """The employer register starts delivering ANTALL_ANSATTE (number of employees)."""
    edit(
        project / "models/staging/enhetsregisteret/_enhetsregisteret__sources.yml",
        "          - name: KOMMUNENR\n",
        "          - name: ANTALL_ANSATTE\n            description: Antall ansatte.\n          - name: KOMMUNENR\n",
    )
    edit(
        project / "models/staging/enhetsregisteret/stg_enhetsregisteret__virksomheter.sql",
        "        kommunenr as kommunenummer\n",
        "        kommunenr as kommunenummer,\n        cast(antall_ansatte as {{ dbt.type_int() }}) as antall_ansatte\n",
    )


def widen_grade(project: Path) -> None:
    """Grades become decimal (50.5): staging casts to numeric(5, 1) instead of integer."""
    edit(
        project / "models/staging/sykmelding/stg_sykmelding__sykmeldinger.sql",
        "cast(sykm_grad as {{ dbt.type_int() }})",
        "cast(sykm_grad as numeric(5, 1))",
    )


def drop_diagnosis(project: Path) -> None:
    """The certificate register stops delivering DIAGNOSEGRUPPE."""
    edit(
        project / "models/staging/sykmelding/_sykmelding__sources.yml",
        "          - name: DIAGNOSEGRUPPE\n            description: \"{{ doc('diagnosegruppe') }}\"\n",
        "",
    )
    edit(
        project / "models/staging/sykmelding/stg_sykmelding__sykmeldinger.sql",
        "        diagnosegruppe as diagnosegruppe,\n",
        "",
    )


@dataclass
class Scenario:
    batches: list[dict[str, str]]
    table: str = "sykmeldinger"
    # batch number -> project edit made just before that batch is loaded
    edits: dict[int, Callable[[Path], None]] = field(default_factory=dict)


T0, T1, T2 = "2025-01-01 10:00:00", "2025-01-08 09:30:00", "2025-01-15 11:00:00"
SCENARIOS = {
    "update": Scenario([sykmeldinger(sm("SM1"), sm("SM2")), sykmeldinger(sm("SM1", "50", T1), sm("SM2"))]),
    "delete": Scenario([sykmeldinger(sm("SM1"), sm("SM2")), sykmeldinger(sm("SM1"))]),
    "re-insert after delete": Scenario(
        [sykmeldinger(sm("SM1"), sm("SM2")), sykmeldinger(sm("SM1")), sykmeldinger(sm("SM1"), sm("SM2", "80", T2))]
    ),
    "re-insert unchanged after delete": Scenario(
        [sykmeldinger(sm("SM1"), sm("SM2")), sykmeldinger(sm("SM1")), sykmeldinger(sm("SM1"), sm("SM2"))]
    ),
    # SM1 changed twice between two extracts (grade 80 at T1, then 60 at T2): the extract holds the last state,
    # so history records 100 -> 60; the intermediate 80 never reached the warehouse
    "several changes between two extracts: the last wins": Scenario(
        [sykmeldinger(sm("SM1")), sykmeldinger(sm("SM1", "60", T2))]
    ),
    "a change the source did not stamp is not a change": Scenario(
        [sykmeldinger(sm("SM1")), sykmeldinger(sm("SM1", "40", T0))]
    ),
    "new, deleted and changed keys in one batch": Scenario(
        [
            sykmeldinger(sm("SM1"), sm("SM2"), sm("SM3")),
            sykmeldinger(sm("SM1", "20", T1), sm("SM3"), sm("SM4", changed=T1)),
            sykmeldinger(sm("SM2", changed=T2), sm("SM3"), sm("SM4", changed=T1)),
        ]
    ),
    "check on every column (no last-changed time)": Scenario(
        [
            virksomheter("900000001,A AS,86.211,0301", "900000002,B AS,47.111,1103"),
            virksomheter("900000001,A AS,86.211,4601"),
            virksomheter("900000001,A AS,86.211,4601", "900000002,B AS,47.111,1103"),
        ],
        table="virksomheter",
    ),
    "new source column: old rows NULL": Scenario(
        [
            virksomheter("900000001,A AS,86.211,0301", "900000002,B AS,47.111,1103"),
            {
                "virksomheter": "ORGNR,NAVN,NAERINGSKODE,KOMMUNENR,ANTALL_ANSATTE\n"
                "900000001,A AS,86.211,0301,12\n900000002,B AS,47.111,5001,7"
            },
        ],
        table="virksomheter",
        edits={1: add_column},
    ),
    "widened type keeps every digit": Scenario(
        [sykmeldinger(sm("SM1"), sm("SM2")), sykmeldinger(sm("SM1", "50.5", T1), sm("SM2"))],
        edits={1: widen_grade},
    ),
    "dropped source column: old history kept, new rows NULL": Scenario(
        [
            sykmeldinger(sm("SM1"), sm("SM2")),
            {
                "sykmeldinger": "SYKMELDING_ID,FNR,ORGNR,FOM_DATO,TOM_DATO,SYKM_GRAD,ENDRET_TID\n"
                f"SM1,01019012345,900000001,2024-03-01,2024-03-14,50,{T1}\n"
                f"SM2,01019012345,900000001,2024-03-01,2024-03-14,100,{T0}"
            },
        ],
        edits={1: drop_diagnosis},
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_replay_gives_exactly_the_expected_history(
    name: str, engine: tuple[str, dict[str, str]], project_copy: Path, tmp_path: Path
) -> None:
    target, env = engine
    scenario = SCENARIOS[name]
    folders = write_batches(tmp_path / "raw", scenario.batches)
    start = 0
    for number in [*sorted(scenario.edits), len(folders)]:
        if number > start:
            load(project_copy, target, env, folders[start:number])
        if number in scenario.edits:
            scenario.edits[number](project_copy)
        start = number
    assert_history(project_copy, target, env, folders, scenario.table)


BAD_BATCHES = {
    "duplicate key": (sykmeldinger(sm("SM1"), sm("SM2"), sm("SM2", "50", T1)), "sykmelding_id 'SM2' appears 2 times"),
    "null key": (
        sykmeldinger(sm("SM1"), "," + sm("SM9").split(",", 1)[1]),
        "sykmelding_id is null in 1 row(s)",
    ),
}


@pytest.mark.parametrize("name", list(BAD_BATCHES))
def test_a_bad_key_stops_the_batch_and_writes_nothing(
    name: str, engine: tuple[str, dict[str, str]], project_copy: Path, tmp_path: Path
) -> None:
    target, env = engine
    bad, message = BAD_BATCHES[name]
    folders = write_batches(tmp_path / "raw", [sykmeldinger(sm("SM1"), sm("SM2")), bad])
    load(project_copy, target, env, folders[:1])
    _, before = query(project_copy, target, env, "select * from historikk.hist_sykmelding__sykmeldinger")

    result = load(project_copy, target, env, folders, check=False)

    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    where = "hist_sykmelding__sykmeldinger: in stg_sykmelding__sykmeldinger (raw batch batch_001, delivered "
    assert where in output and f"), {message}. Nothing was written to history" in output, output[-3000:]
    _, after = query(project_copy, target, env, "select * from historikk.hist_sykmelding__sykmeldinger")
    assert sorted(after, key=repr) == sorted(before, key=repr)
    _, logged = query(project_copy, target, env, "select batch from raw.lastelogg")
    assert logged == [("batch_000",)], "a refused batch is not logged as loaded, so it is retried"

    # the source fixes its extract: the same batch loads, and history is exactly as if it had been right at once
    fixed = write_batches(tmp_path / "raw", [sykmeldinger(sm("SM1"), sm("SM2")), sykmeldinger(sm("SM2", "50", T1))])
    load(project_copy, target, env, fixed)
    assert_history(project_copy, target, env, fixed, "sykmeldinger")
