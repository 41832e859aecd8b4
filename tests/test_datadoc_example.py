"""The export and the metadata gate on the example data product, built once per session by `dataprodukt run`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from datadoc_model.required.model import MetadataContainer

from tests.conftest import BuiltExample, copy_project, run_cli
from tests.support.relations import relation_name

pytestmark = pytest.mark.slow

STEMS = {
    "klargjorte-data/sykefravaer-person_p2024-Q1_p2024-Q4_v1": "sykefravaer_person",
    "statistikk/sykefravaersprosent_p2024-Q1_p2024-Q4_v1": "sykefravaersprosent",
    "utdata/sykefravaer_p2024-Q1_p2024-Q4_v1": "sykefravaer",
}
# (document, column) -> Datadoc data_type the warehouse type must map to, on every engine
EXPECTED_TYPES = {
    ("sykefravaer-person", "kvartal"): "STRING",
    ("sykefravaer-person", "antall_sykmeldinger"): "INTEGER",
    ("sykefravaer-person", "stillingsprosent"): "FLOAT",
    ("sykefravaersprosent", "antall_personer"): "INTEGER",
    ("sykefravaersprosent", "sykefravaersprosent"): "FLOAT",
    ("sykefravaer", "fylkesnummer"): "STRING",
}


def documents(storage: Path) -> dict[str, Path]:
    return {
        str(path.relative_to(storage / "sykefravaer")).removesuffix("__DOC.json"): path
        for path in sorted(storage.rglob("*__DOC.json"))
    }


def variables(path: Path) -> dict[str, dict[str, Any]]:
    return {item["short_name"]: item for item in json.loads(path.read_bytes())["datadoc"]["variables"]}


def assert_example_documents(storage: Path, catalog: Path) -> None:
    found = documents(storage)
    assert set(found) == set(STEMS)
    for stem, path in found.items():
        data = path.read_bytes()
        container = MetadataContainer.model_validate_json(data)  # the strict model: stable versions
        assert (container.model_dump_json(indent=2, exclude_none=True) + "\n").encode() == data  # reads back equal
        assert (catalog / "sykefravaer" / f"{stem}__DOC.json").read_bytes() == data
        dataset = container.datadoc.dataset  # type: ignore[union-attr]
        assert dataset.short_name == stem.split("/")[1]
        assert dataset.file_path.endswith(f"sykefravaer/{stem}.parquet")
        assert (dataset.contains_data_from.isoformat(), dataset.contains_data_until.isoformat()) == (  # type: ignore[union-attr]
            "2024-01-01",
            "2024-12-31",
        )
        assert dataset.version == "1" and dataset.version_description.root[0].languageText == "Opprinnelig versjon"  # type: ignore[union-attr]
    person = json.loads(found["klargjorte-data/sykefravaer-person_p2024-Q1_p2024-Q4_v1"].read_bytes())["datadoc"]
    assert (person["dataset"]["dataset_state"], person["dataset"]["assessment"]) == ("PROCESSED_DATA", "PROTECTED")
    assert {"key": "contains_personal_data", "value": "true"} in person["dataset"]["custom_type"]
    assert variables(found["klargjorte-data/sykefravaer-person_p2024-Q1_p2024-Q4_v1"])["person_pseudonym"][
        "is_personal_data"
    ]
    open_data = json.loads(found["utdata/sykefravaer_p2024-Q1_p2024-Q4_v1"].read_bytes())["datadoc"]["dataset"]
    assert (open_data["assessment"], open_data["dataset_status"]) == ("OPEN", "EXTERNAL")  # folder default
    assert {"key": "contains_personal_data", "value": "false"} in open_data["custom_type"]
    for (document, column), expected in EXPECTED_TYPES.items():
        path = next(path for stem, path in found.items() if stem.split("/")[1].split("_p2024")[0] == document)
        assert variables(path)[column]["data_type"] == expected, (document, column)
    index = json.loads((catalog / "index.json").read_bytes())
    assert sorted(entry["document"] for entry in index["documents"]) == sorted(
        f"sykefravaer/{stem}__DOC.json" for stem in STEMS
    )


def test_export_on_duckdb_writes_strict_documents_beside_the_data_files(example_duckdb: BuiltExample) -> None:
    result = example_duckdb.cli("export")
    assert "exported 3 Datadoc document(s) (3 strict, 0 draft v0)" in result.stdout
    assert_example_documents(example_duckdb.root / "build" / "storage", example_duckdb.root / "build" / "catalog")

    import duckdb

    connection = duckdb.connect(str(example_duckdb.root / "build" / "sykefravaer.duckdb"), read_only=True)
    try:
        rows = connection.execute(
            "select short_name, dataset_state, json_extract_string(document, '$.datadoc.dataset.id') = dataset_id "
            "from katalog.datadoc order by short_name"
        ).fetchall()
    finally:
        connection.close()
    assert rows == [
        ("sykefravaer-person_p2024-Q1_p2024-Q4_v1", "PROCESSED_DATA", True),
        ("sykefravaer_p2024-Q1_p2024-Q4_v1", "OUTPUT_DATA", True),
        ("sykefravaersprosent_p2024-Q1_p2024-Q4_v1", "STATISTICS", True),
    ]


def test_re_export_leaves_every_file_byte_identical(example_duckdb: BuiltExample, tmp_path: Path) -> None:
    args = ("export", "--storage-root", str(tmp_path / "storage"), "--catalog-dir", str(tmp_path / "catalog"))
    example_duckdb.cli(*args)
    files = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files}
    again = example_duckdb.cli(*args)
    assert "0 file(s) changed" in again.stdout
    assert sorted(path for path in tmp_path.rglob("*") if path.is_file()) == files  # no temporary files left
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files} == before


def test_the_data_package_validates_with_frictionless(example_duckdb: BuiltExample, tmp_path: Path) -> None:
    import duckdb
    from frictionless import validate

    storage = tmp_path / "storage"
    connection = duckdb.connect(str(example_duckdb.root / "build" / "sykefravaer.duckdb"), read_only=True)
    try:
        for stem, model in STEMS.items():
            (storage / "sykefravaer" / stem).parent.mkdir(parents=True, exist_ok=True)
            target = storage / "sykefravaer" / f"{stem}.parquet"
            relation = relation_name(example_duckdb.root, model)
            connection.execute(f"copy (select * from {relation}) to '{target}' (format parquet)")
    finally:
        connection.close()
    example_duckdb.cli("export", "--no-warehouse", "--storage-root", str(storage), "--catalog-dir", str(tmp_path / "c"))
    package_path = storage / "sykefravaer" / "datapackage.json"
    package = json.loads(package_path.read_bytes())
    assert package["licenses"][0]["name"] == "CC-BY-4.0" and package["contributors"]
    assert sorted(resource["path"] for resource in package["resources"]) == sorted(f"{stem}.parquet" for stem in STEMS)
    report = validate(str(package_path))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # the validation reads the files: a wrong type in the schema is caught
    broken = next(resource for resource in package["resources"] if resource["path"].startswith("utdata/"))
    next(field for field in broken["schema"]["fields"] if field["name"] == "fylkesnummer")["type"] = "boolean"
    package_path.write_text(json.dumps(package), encoding="utf-8")
    assert not validate(str(package_path)).valid


def test_the_gate_passes_the_example(example_duckdb: BuiltExample) -> None:
    result = example_duckdb.cli("check", "--only", "metadata")
    assert "check metadata: ok" in result.stdout
    assert "sykefravaer_person_v1 100%, sykefravaersprosent_v1 100%, sykefravaer_v1 100%" in result.stdout


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_gate_fails_on_missing_fields_bad_enums_and_long_descriptions(project_copy: Path) -> None:
    models = project_copy / "models"
    _replace(
        models / "statistikk" / "_sykefravaersprosent.yml",
        'population_description: "Arbeidsforhold registrert i Aa-registeret som er aktive i perioden, aggregert til '
        'kvartal, næring og fylke."',
        'population_description: "TODO"',
    )
    _replace(models / "utdata" / "_sykefravaer.yml", "meta: {variable_role: START_TIME}", "meta: {variable_role: TIME}")
    _replace(
        models / "utdata" / "_sykefravaer.yml",
        "description: \"{{ doc('tapte_dagsverk') }}\"",
        f'description: "{"x" * 1100}"',
    )
    _replace(
        models / "klargjorte_data" / "_sykefravaer_person.yml",
        "meta: {variable_role: START_TIME, is_personal_data: NOT_PERSONAL_DATA}",
        "meta: {variable_role: START_TIME}",
    )
    result = run_cli(project_copy, "check", "--only", "metadata", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert (
        "sykefravaersprosent_v1 (models/statistikk/_sykefravaersprosent.yml): population_description: "
        "missing obligatory field" in out
    )
    assert (
        "sykefravaer_v1 (models/utdata/_sykefravaer.yml): column kvartal: variable_role: meta value 'TIME' is not one "
        "of IDENTIFIER, MEASURE, START_TIME, STOP_TIME, ATTRIBUTE" in out
    )
    assert "sykefravaer_v1 (models/utdata/_sykefravaer.yml): column tapte_dagsverk: description: too long: 1100" in out
    # kvartal's class is no longer written, but column lineage derives it (not personal): not a violation
    assert "column kvartal: is_personal_data" not in out
    assert "2 model(s)" in out


def test_stale_or_missing_artifacts_say_which_command_to_run(example_duckdb: BuiltExample, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    missing = run_cli(project, "export", check=False)
    assert missing.returncode == 2
    assert "manifest.json is missing: run `dbt build && dbt docs generate`" in missing.stderr
    (project / "target").mkdir()
    shutil.copy2(example_duckdb.root / "target" / "manifest.json", project / "target" / "manifest.json")
    os.utime(project / "target" / "manifest.json", (1_000_000_000, 1_000_000_000))
    stale = run_cli(project, "export", check=False)
    assert stale.returncode == 2
    assert "manifest.json is older than" in stale.stderr and "the artifacts are stale" in stale.stderr
    os.utime(project / "target" / "manifest.json")  # now newer than every model file
    no_catalog = run_cli(project, "export", check=False)
    assert no_catalog.returncode == 2
    assert "catalog.json is missing: run `dbt docs generate` after `dbt build`" in no_catalog.stderr
    assert not (project / "build" / "storage").exists() and not (project / "build" / "catalog").exists()


@pytest.mark.postgres
def test_export_on_postgres_gives_the_same_types_and_a_catalog_table(
    example_postgres: BuiltExample, tmp_path: Path
) -> None:
    import psycopg2

    example_postgres.cli("export", "--storage-root", str(tmp_path / "storage"), "--catalog-dir", str(tmp_path / "c"))
    assert_example_documents(tmp_path / "storage", tmp_path / "c")
    env = example_postgres.env
    connection = psycopg2.connect(
        host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env["PGPASSWORD"], dbname=env["PGDATABASE"]
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select short_name, document -> 'datadoc' -> 'dataset' ->> 'id' = dataset_id::text "
                "from katalog.datadoc order by short_name"
            )
            rows = cursor.fetchall()
    finally:
        connection.close()
    assert [row[1] for row in rows] == [True, True, True]
    assert len(rows) == 3


def test_export_metadata_runs_in_process_for_the_main_job(example_duckdb: BuiltExample, tmp_path: Path) -> None:
    from dataprodukt.core.context import RunContext
    from dataprodukt.core.project import Project
    from dataprodukt.core.storage import Storage
    from dataprodukt.datadoc.exporter import export_metadata

    project = Project(example_duckdb.root, "duckdb")
    places = {"storage": Storage(str(tmp_path / "storage")), "catalog": Storage(str(tmp_path / "c"))}
    with RunContext.open(project, **places) as context:
        result = export_metadata(context, warehouse=False)
        assert context.artifact_reads == 1  # manifest, catalog and run results read once for the whole export
    assert [document.strict for document in result.documents] == [True, True, True]
    assert_example_documents(tmp_path / "storage", tmp_path / "c")
