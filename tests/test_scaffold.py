"""`dataprodukt scaffold`: friendly names from the name map, types from the values, and the example's three
staging models reproduced from their raw tables on DuckDB and PostgreSQL (modulo descriptions)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dataprodukt.core.warehouse import DuckDBWarehouse, Warehouse
from dataprodukt.load import generator
from dataprodukt.load.loader import RAW_SCHEMA, read_header
from dataprodukt.load.staging_model import infer_kind, load_name_map
from tests.conftest import EXAMPLE as EXAMPLE_PROJECT
from tests.conftest import clean_env, run_cli
from tests.support import postgres

NAMES = [
    ("aareg", "arbeidsforhold", "ARBFORHOLD_ID", "arbeidsforhold_id"),
    ("aareg", "arbeidsforhold", "FNR", "fodselsnummer"),
    ("aareg", "arbeidsforhold", "ORGNR", "organisasjonsnummer"),
    ("aareg", "arbeidsforhold", "FOM_DATO", "fra_og_med_dato"),
    ("aareg", "arbeidsforhold", "TOM_DATO", "til_og_med_dato"),
    ("aareg", "arbeidsforhold", "ENDRET_TID", "endret_tidspunkt"),
    ("aareg", "arbeidsforhold", "STILLINGSPST", "stillingsprosent"),
    ("sykmelding", "sykmeldinger", "SYKM_GRAD", "sykmeldingsgrad"),
    ("sykmelding", "sykmeldinger", "sykmelding_id", "sykmelding_id"),
    ("enhetsregisteret", "virksomheter", "NAVN", "virksomhetsnavn"),
    ("enhetsregisteret", "virksomheter", "KOMMUNENR", "kommunenummer"),
    ("annen", "tabell", "NAVN", "navn"),
    ("annen", "tabell", "Fritekst Ære", "fritekst_aere"),
    ("annen", "tabell", "ANT_DAGER", "antall_dager"),
    ("annen", "tabell", "ARBGIVER_ORGNR", "arbeidsgiver_organisasjonsnummer"),
]


@pytest.mark.parametrize(("source", "table", "raw", "friendly"), NAMES)
def test_friendly_names_from_the_starter_dictionary(source: str, table: str, raw: str, friendly: str) -> None:
    assert load_name_map().friendly(source, table, raw) == friendly


def test_the_projects_name_map_extends_the_starter(tmp_path: Path) -> None:
    (tmp_path / "name_map.yml").write_text(
        "words:\n  DAGER: dagsverk\ntables:\n  annen.tabell:\n    ANT_DAGER: antall_tapte_dagsverk\n", "utf-8"
    )
    names = load_name_map(tmp_path)
    assert names.friendly("annen", "tabell", "ANT_DAGER") == "antall_tapte_dagsverk"
    assert names.friendly("annen", "annen", "ANT_DAGER") == "antall_dagsverk"
    assert names.friendly("annen", "tabell", "FNR") == "fodselsnummer"


KINDS = [
    (["100", "60", "-3"], "integer"),
    (["3000000000", "1"], "bigint"),
    (["1.5", "2"], "numeric"),
    (["2024-01-31", "2024-02-29"], "date"),
    (["2024-02-30"], "text"),
    (["2024-01-31 08:00:40", "2024-01-31T08:00"], "timestamp"),
    (["2024-01-31", "2024-01-31 08:00:40"], "timestamp"),
    (["0301", "1103"], "text"),
    (["43.439", "abc"], "text"),
    (["31.01.2024"], "text"),
    ([], "text"),
]


@pytest.mark.parametrize(("values", "kind"), KINDS)
def test_types_from_the_values(values: list[str], kind: str) -> None:
    assert infer_kind(values) == kind


# --- end to end: the example's raw tables loaded, its staging folder removed, then scaffolded again --------
EXAMPLE = {
    "aareg": "arbeidsforhold",
    "sykmelding": "sykmeldinger",
    "enhetsregisteret": "virksomheter",
}


def load_raw(warehouse: Warehouse, tmp_path: Path) -> None:
    """The example's first raw extract, loaded as the loader does (every field text)."""
    generator.generate(tmp_path / "raw", rows=400, batches=0)
    (batch,) = generator.list_batches(tmp_path / "raw")
    files = {path.stem: (path, read_header(path)) for path in sorted(batch.glob("*.csv"))}
    try:
        warehouse.replace_tables(RAW_SCHEMA, files)
    finally:
        warehouse.close()


def yaml_columns(path: Path, kind: str, name: str) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if kind == "sources":
        entries = [table for source in data["sources"] for table in source["tables"]]
    else:
        entries = data["models"]
    (entry,) = [entry for entry in entries if entry["name"] == name]
    return [str(column["name"]).lower() for column in entry["columns"]]


def scaffold_reproduces_the_example(project: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    for source in EXAMPLE:
        for path in (project / "models" / "staging" / source).iterdir():
            path.unlink()
    for source, table in EXAMPLE.items():
        result = run_cli(project, "scaffold", source, table, *args, env=env)
        assert f"wrote models/staging/{source}/stg_{source}__{table}.sql" in result.stdout
    for source, table in EXAMPLE.items():
        folder = f"models/staging/{source}"
        model = f"stg_{source}__{table}"
        written, committed = project / folder, EXAMPLE_PROJECT / folder
        assert (written / f"{model}.sql").read_text() == (committed / f"{model}.sql").read_text()
        sources, models = f"_{source}__sources.yml", f"_{source}__models.yml"
        assert yaml_columns(written / sources, "sources", table) == yaml_columns(committed / sources, "sources", table)
        assert yaml_columns(written / models, "models", model) == yaml_columns(committed / models, "models", model)
        assert "TODO: beskriv kolonnen" in (written / sources).read_text()


def test_scaffold_reproduces_the_example_duckdb(project_copy: Path, tmp_path: Path) -> None:
    load_raw(DuckDBWarehouse(project_copy / "build" / "sykefravaer.duckdb"), tmp_path)
    scaffold_reproduces_the_example(project_copy, (), clean_env())

    # what it wrote passes the staging check, and the metadata check flags the placeholders
    result = run_cli(project_copy, "check", "--only", "staging", "--only", "docs", check=False)
    assert "check staging: ok" in result.stdout
    assert (
        "  stg_aareg__arbeidsforhold (models/staging/aareg/_aareg__models.yml): column stillingsprosent: no description"
        in result.stdout.splitlines()
    )

    # run again: nothing changes
    again = run_cli(project_copy, "scaffold", "aareg", "arbeidsforhold")
    assert "unchanged models/staging/aareg/stg_aareg__arbeidsforhold.sql" in again.stdout

    # a hand-edited file is never overwritten: the scaffold refuses and shows the diff
    sql = project_copy / "models/staging/aareg/stg_aareg__arbeidsforhold.sql"
    edited = sql.read_text().replace("fnr as fodselsnummer", "fnr as fnr")
    sql.write_text(edited)
    refused = run_cli(project_copy, "scaffold", "aareg", "arbeidsforhold", check=False)
    assert refused.returncode == 1
    out = refused.stdout.splitlines()
    assert "refused models/staging/aareg/stg_aareg__arbeidsforhold.sql: it differs from what the scaffold writes" in (
        refused.stdout
    )
    assert "--- models/staging/aareg/stg_aareg__arbeidsforhold.sql (now)" in out
    assert "+++ models/staging/aareg/stg_aareg__arbeidsforhold.sql (scaffold)" in out
    assert "-        fnr as fnr," in out and "+        fnr as fodselsnummer," in out
    assert sql.read_text() == edited


def test_scaffold_adds_a_new_table_to_an_existing_source_without_changing_its_lines(
    project_copy: Path, tmp_path: Path
) -> None:
    warehouse = DuckDBWarehouse(project_copy / "build" / "sykefravaer.duckdb")
    warehouse.execute(
        "create schema if not exists raw; create table raw.ansettelser as select * from (values "
        "('A1', '06048121090', '0301', '12.5', '2024-01-31', 'Fast')) as t(ANSETTELSE_ID, FNR, KOMMUNENR, "
        "STILLINGSPST, FOM_DATO, TYPE)"
    )
    warehouse.close()
    folder = project_copy / "models/staging/aareg"
    before = {name: (folder / name).read_text() for name in ("_aareg__sources.yml", "_aareg__models.yml")}

    preview = run_cli(project_copy, "scaffold", "aareg", "ansettelser", "--dry-run")
    assert "would write models/staging/aareg/stg_aareg__ansettelser.sql:" in preview.stdout
    assert "would write models/staging/aareg/_aareg__sources.yml (entry added):" in preview.stdout
    assert "        cast(stillingspst as {{ dbt.type_numeric() }}) as stillingsprosent," in preview.stdout
    assert preview.stdout.rstrip().endswith("dry run: nothing written")
    assert not (folder / "stg_aareg__ansettelser.sql").exists()
    assert {name: (folder / name).read_text() for name in before} == before

    result = run_cli(project_copy, "scaffold", "aareg", "ansettelser")
    assert "wrote models/staging/aareg/_aareg__sources.yml (entry added)" in result.stdout
    for name, text in before.items():
        assert (folder / name).read_text().startswith(text.rstrip("\n") + "\n")
    assert (folder / "stg_aareg__ansettelser.sql").read_text().split("renamed as (")[1].split("from source")[0] == (
        "\n\n    select\n"
        "        ---------- ids\n"
        "        ansettelse_id as ansettelse_id,\n"
        "        fnr as fodselsnummer,\n\n"
        "        ---------- strings\n"
        "        kommunenr as kommunenummer,\n"
        "        type as type,\n\n"
        "        ---------- numerics\n"
        "        cast(stillingspst as {{ dbt.type_numeric() }}) as stillingsprosent,\n\n"
        "        ---------- dates\n"
        "        cast(fom_dato as date) as fra_og_med_dato\n\n    "
    )
    assert yaml_columns(folder / "_aareg__models.yml", "models", "stg_aareg__ansettelser") == [
        "ansettelse_id",
        "fodselsnummer",
        "kommunenummer",
        "type",
        "stillingsprosent",
        "fra_og_med_dato",
    ]


def test_a_source_table_that_is_not_loaded_is_named_with_what_raw_holds(project_copy: Path, tmp_path: Path) -> None:
    load_raw(DuckDBWarehouse(project_copy / "build" / "sykefravaer.duckdb"), tmp_path)
    result = run_cli(project_copy, "scaffold", "aareg", "permisjoner", check=False)
    assert result.returncode == 2
    # the last line is the error (a line before it may announce the local development key)
    assert result.stderr.strip().splitlines()[-1] == (
        "dataprodukt scaffold: error: source aareg: no table raw.permisjoner in the duckdb warehouse; raw holds: "
        "arbeidsforhold, sykmeldinger, virksomheter. Give one of those names, or load the table first"
    )
    assert not (project_copy / "models/staging/aareg/stg_aareg__permisjoner.sql").exists()


@pytest.mark.postgres
def test_scaffold_reproduces_the_example_postgres(project_copy: Path, tmp_path: Path, pg_env: dict[str, str]) -> None:
    load_raw(postgres.warehouse(pg_env), tmp_path)
    scaffold_reproduces_the_example(project_copy, ("--target", "postgres"), clean_env(**pg_env))
