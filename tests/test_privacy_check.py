"""The privacy guard refuses personal data in open models, however it gets there, and lets aggregates through."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from dataprodukt.checks import privacy as privacy_check
from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.rules.personal_data import classify
from tests.conftest import BuiltExample, copy_project, run_cli

PERSONAL = "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
PSEUDONYMISED = "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
FNR = "stg_aareg__arbeidsforhold.fodselsnummer"
OPEN = "{{ config(meta={'open': true}) }}\n"

# model file (under models/) -> SQL; intermediate models are made open by meta, utdata models by their folder
PLANTED = {
    "utdata/aapen_direkte.sql": "select arbeidsforhold_id, fodselsnummer from {{ ref('int_arbeidsforhold_kvartal') }}",
    "intermediate/int_aapen_omdoept.sql": OPEN
    + "select fodselsnummer as person, kvartal from {{ ref('int_arbeidsforhold_kvartal') }}",
    "intermediate/int_aapen_join.sql": OPEN
    + """
        select
            person.kvartal,
            arbeidsforhold.fodselsnummer as fnr_kopi,
            upper(arbeidsforhold.fodselsnummer) as fnr_stor
        from {{ ref('sykefravaer_person') }} as person
        inner join {{ ref('int_arbeidsforhold_kvartal') }} as arbeidsforhold
            on person.arbeidsforhold_id = arbeidsforhold.arbeidsforhold_id
        """,
    "intermediate/int_aapen_cte.sql": OPEN
    + """
        with kilde as (select * from {{ ref('hist_sykmelding__sykmeldinger') }}),
        steg as (select fodselsnummer as f, diagnosegruppe from kilde),
        ferdig as (select f || '-x' as person_id, diagnosegruppe from steg)
        select * from ferdig
        """,
    "intermediate/int_aapen_union.sql": OPEN
    + """
        select organisasjonsnummer as id from {{ ref('int_virksomheter_klassifisert') }}
        union all
        select x.fodselsnummer from (select fodselsnummer from {{ ref('int_arbeidsforhold_kvartal') }}) as x
        """,
    "intermediate/int_aapen_hash.sql": OPEN
    + "select sha256(fodselsnummer) as hash_uten_noekkel from {{ ref('int_arbeidsforhold_kvartal') }}",
    "intermediate/int_aapen_maks.sql": OPEN
    + "select kvartal, max(fodselsnummer) as siste from {{ ref('int_arbeidsforhold_kvartal') }} group by kvartal",
    "intermediate/int_aapen_per_person.sql": OPEN
    + """
        select fodselsnummer, count(*) as antall
        from {{ ref('int_arbeidsforhold_kvartal') }} group by fodselsnummer
        """,
    "intermediate/int_aapen_pseudonym.sql": OPEN
    + "select person_pseudonym, kvartal from {{ ref('sykefravaer_person') }}",
    # these pass: aggregated over persons, or pseudonymised and then aggregated
    "intermediate/int_aapen_aggregert.sql": OPEN
    + """
        select kvartal, count(distinct fodselsnummer) as personer, count(*) as rader, sum(stillingsprosent) as sum_pst
        from {{ ref('int_arbeidsforhold_kvartal') }} group by kvartal
        """,
    "intermediate/int_aapen_aggregert_pseudonym.sql": OPEN
    + """
        with p as (select {{ pseudonymize('fodselsnummer') }} as pseudonym, kvartal
                   from {{ ref('int_arbeidsforhold_kvartal') }})
        select kvartal, count(distinct pseudonym) as personer from p group by kvartal
        """,
    # not open, but declares its copy of the national id as not personal
    "intermediate/int_feil_erklaert.sql": (
        "select fodselsnummer as fnr_kopi from {{ ref('int_arbeidsforhold_kvartal') }}"
    ),
    "intermediate/int_skrivefeil.sql": "select kvartal from {{ ref('int_kvartaler') }}",
    "intermediate/int_pseudonym_erklaert.sql": (
        "select {{ pseudonymize('fodselsnummer') }} as pseudonym from {{ ref('int_arbeidsforhold_kvartal') }}"
    ),
}
DECLARATIONS = """
version: 2
models:
  - name: int_feil_erklaert
    columns:
      - name: fnr_kopi
        meta: {is_personal_data: NOT_PERSONAL_DATA}
  - name: int_pseudonym_erklaert
    columns:
      - name: pseudonym
        meta: {is_personal_data: PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA}
  - name: int_skrivefeil
    columns:
      - name: kvartal
        meta: {is_personal_data: PERSONAL}
"""

EXPOSED = [
    ("aapen_direkte", "fodselsnummer", PERSONAL, FNR),
    ("int_aapen_omdoept", "person", PERSONAL, FNR),
    ("int_aapen_join", "fnr_kopi", PERSONAL, FNR),
    ("int_aapen_join", "fnr_stor", PERSONAL, FNR),
    ("int_aapen_cte", "person_id", PERSONAL, "stg_sykmelding__sykmeldinger.fodselsnummer"),
    ("int_aapen_union", "id", PERSONAL, FNR),
    ("int_aapen_hash", "hash_uten_noekkel", PERSONAL, FNR),
    ("int_aapen_maks", "siste", PERSONAL, FNR),
    ("int_aapen_per_person", "fodselsnummer", PERSONAL, FNR),
    ("int_aapen_per_person", "antall", PERSONAL, FNR),
    ("int_aapen_pseudonym", "person_pseudonym", PSEUDONYMISED, FNR),
]
PASSING = ["int_aapen_aggregert", "int_aapen_aggregert_pseudonym", "int_pseudonym_erklaert", "sykefravaer"]


@pytest.fixture(scope="module")
def planted_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("planted"))


@pytest.fixture(scope="module")
def planted_output(planted_root: Path) -> str:
    root = planted_root
    for path, sql in PLANTED.items():
        (root / "models" / path).write_text(textwrap.dedent(sql).strip() + "\n", encoding="utf-8")
    (root / "models" / "intermediate" / "_planted.yml").write_text(DECLARATIONS, encoding="utf-8")
    result = run_cli(root, "check", "--only", "privacy", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(("model", "column", "klass", "upstream"), EXPOSED)
def test_personal_column_in_open_model_is_refused(
    planted_output: str, model: str, column: str, klass: str, upstream: str
) -> None:
    kind = "personal data" if klass == PERSONAL else "pseudonymised personal data"
    expected = rf"^  {model} \(models/\S+\.sql(:\d+)?\): column {column}: {kind} \({klass}\) from {re.escape(upstream)}"
    assert re.search(expected + " reaches an open model", planted_output, re.MULTILINE), planted_output


def test_line_points_at_the_column(planted_output: str) -> None:
    assert "int_aapen_omdoept (models/intermediate/int_aapen_omdoept.sql:2): column person:" in planted_output


@pytest.mark.parametrize("model", PASSING)
def test_aggregated_or_pseudonymised_derivative_passes(planted_output: str, model: str) -> None:
    assert not re.search(rf"^  {model} \(", planted_output, re.MULTILINE), planted_output


def test_declaration_contradicting_lineage_is_refused(planted_output: str) -> None:
    line = next(line for line in planted_output.splitlines() if line.startswith("  int_feil_erklaert "))
    assert line == (
        "  int_feil_erklaert (models/intermediate/_planted.yml:6): column fnr_kopi: declared NOT_PERSONAL_DATA but "
        f"built from {FNR} ({PERSONAL}): declare {PERSONAL}, "
        "or pseudonymise (pseudonymize macro) or aggregate the column"
    )


def test_unknown_class_is_refused(planted_output: str) -> None:
    assert (
        "  int_skrivefeil (models/intermediate/_planted.yml:14): column kvartal: is_personal_data 'PERSONAL' is not "
        "one of NOT_PERSONAL_DATA, PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA, NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
    ) in planted_output


def test_full_check_fails_on_a_planted_violation(project_copy: Path) -> None:
    (project_copy / "models" / "utdata" / "sykefravaer_v1.sql").write_text(
        "select kvartal, naering_hovedomraade, fylkesnummer, count(*) as antall_personer,\n"
        "    sum(avtalte_dagsverk) as avtalte_dagsverk, sum(tapte_dagsverk) as tapte_dagsverk,\n"
        "    cast(null as numeric(28, 6)) as sykefravaersprosent, min(person_pseudonym) as prikket\n"
        "from {{ ref('sykefravaer_person') }}\ngroup by kvartal, naering_hovedomraade, fylkesnummer\n",
        encoding="utf-8",
    )
    result = run_cli(project_copy, "check", check=False)
    assert result.returncode == 1
    assert (
        "  sykefravaer (models/utdata/sykefravaer_v1.sql:3): column prikket: pseudonymised personal data "
        f"({PSEUDONYMISED}) from {FNR} reaches an open model" in result.stdout
    )


def test_example_passes_the_guard(example_duckdb: BuiltExample) -> None:
    result = example_duckdb.cli("check")
    assert "check privacy: ok" in result.stdout


@pytest.fixture
def session_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DbtSession sets dbt's variables in this process: give them back afterwards."""
    for name in ("DBT_PROFILES_DIR", "DBT_PROJECT_DIR", "DBT_TARGET", "DATAPRODUKT_PSEUDONYM_KEY"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.mark.usefixtures("session_env")
def test_main_job_step_stops_before_publishing(planted_root: Path, planted_output: str) -> None:
    with pytest.raises(UserError, match=r"^privacy check failed, nothing published: aapen_direkte \(.*\(and 12 more\)"):
        privacy_check.step(RunContext.open(Project(planted_root)))


@pytest.mark.usefixtures("session_env")
def test_main_job_step_passes_the_example(example_duckdb: BuiltExample) -> None:
    privacy_check.step(RunContext.open(Project(example_duckdb.root)))


def test_classify_gives_the_datadoc_export_every_column(example_duckdb: BuiltExample) -> None:
    import json

    manifest = json.loads((example_duckdb.root / "target" / "manifest.json").read_text(encoding="utf-8"))
    classes = classify(manifest)
    personal = {key: value for key, value in classes.items() if value[0] != "NOT_PERSONAL_DATA"}
    assert personal == {
        ("model.sykefravaer.stg_aareg__arbeidsforhold", "fodselsnummer"): (PERSONAL, FNR),
        ("snapshot.sykefravaer.hist_aareg__arbeidsforhold", "fodselsnummer"): (PERSONAL, FNR),
        ("model.sykefravaer.int_arbeidsforhold_kvartal", "fodselsnummer"): (PERSONAL, FNR),
        ("model.sykefravaer.int_arbeidsforhold_per_tidspunkt", "fodselsnummer"): (PERSONAL, FNR),
        ("model.sykefravaer.int_arbeidsforhold_gyldig_per_dato", "fodselsnummer"): (PERSONAL, FNR),
        ("model.sykefravaer.int_arbeidsforhold_gyldig_per_dato_kjent_per_tidspunkt", "fodselsnummer"): (PERSONAL, FNR),
        ("model.sykefravaer.stg_sykmelding__sykmeldinger", "fodselsnummer"): (
            PERSONAL,
            "stg_sykmelding__sykmeldinger.fodselsnummer",
        ),
        ("snapshot.sykefravaer.hist_sykmelding__sykmeldinger", "fodselsnummer"): (
            PERSONAL,
            "stg_sykmelding__sykmeldinger.fodselsnummer",
        ),
        ("model.sykefravaer.sykefravaer_person.v1", "person_pseudonym"): (PSEUDONYMISED, FNR),
    }
    published = {column for (unique_id, column) in classes if unique_id == "model.sykefravaer.sykefravaer.v1"}
    assert published == {
        "kvartal",
        "naering_hovedomraade",
        "fylkesnummer",
        "antall_personer",
        "avtalte_dagsverk",
        "tapte_dagsverk",
        "sykefravaersprosent",
        "prikket",
    }


@pytest.mark.postgres
@pytest.mark.slow
def test_example_on_postgres_passes_the_guard_with_the_same_classes(
    example_postgres: BuiltExample, example_duckdb: BuiltExample
) -> None:
    import json

    assert "check privacy: ok" in example_postgres.cli("check").stdout

    def personal(example: BuiltExample) -> dict[tuple[str, str], tuple[str, str | None]]:
        manifest = json.loads((example.root / "target" / "manifest.json").read_text(encoding="utf-8"))
        return {key: value for key, value in classify(manifest).items() if value[0] != "NOT_PERSONAL_DATA"}

    assert personal(example_postgres) == personal(example_duckdb)
