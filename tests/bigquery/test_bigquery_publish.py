"""Publication and the Datadoc catalog table on the BigQuery emulator, asserted on rows as on DuckDB and PostgreSQL:
the register, the files in storage, the latest view, a second publish that changes nothing, a changed published
model refused, and one catalog row per dataset version holding its document."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.publish import files as export
from tests.conftest import BuiltExample, copy_project

pytestmark = pytest.mark.bigquery

PERIODS = "p2024-Q1_p2024-Q4"
DATASETS = {
    # stem -> (schema, relation, storage folder, model)
    f"sykefravaer-person_{PERIODS}_v1": (
        "sykefravaer_klargjorte_data",
        "sykefravaer_person_p2024_q1_p2024_q4_v1",
        "klargjorte-data",
        "sykefravaer_person",
    ),
    f"sykefravaersprosent_{PERIODS}_v1": (
        "sykefravaer_statistikk",
        "sykefravaersprosent_p2024_q1_p2024_q4_v1",
        "statistikk",
        "sykefravaersprosent",
    ),
    f"sykefravaer_{PERIODS}_v1": (
        "sykefravaer_utdata",
        "sykefravaer_p2024_q1_p2024_q4_v1",
        "utdata",
        "sykefravaer",
    ),
}
REGISTER = (
    "select dataset, model, version, relation_schema, relation_name, file_path, row_count, content_checksum, "
    "code_fingerprint, cast(published_at as string) from publisering.register order by dataset"
)
CATALOG = (
    "select dataset_id, model, version, is_latest, file_path, to_json_string(document) "
    "from katalog.datadoc order by model"
)
REFUSED = f"sykefravaersprosent_{PERIODS}_v1 is published; add version 2 to change it"


def storage(example: BuiltExample) -> Path:
    return example.root / "build" / "storage" / "sykefravaer"


def stored_files(example: BuiltExample) -> dict[str, str]:
    """Every stored file's sha256 (the manifest of the last publication aside: it is rewritten on purpose)."""
    folder = storage(example)
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }


def checksum(warehouse: Any, schema: str, name: str) -> str:
    return export.read_relation(warehouse, schema, name).checksum


def dbt(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Plain dbt on the emulator target, as a user runs it in the project folder."""
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--target", "bigquery_emulator"]
    return subprocess.run(
        command,
        cwd=root,
        env={**env, "DBT_PROFILES_DIR": "profiles"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_register_files_latest_view_and_catalog_rows(example_bigquery: BuiltExample, bq_warehouse: Any) -> None:
    import pyarrow.parquet as pq

    register = bq_warehouse.query(REGISTER)
    assert [row[0] for row in register] == sorted(DATASETS)
    for stem, model, version, schema, name, file_path, row_count, content, code, published_at in register:
        expected_schema, expected_name, folder, expected_model = DATASETS[stem]
        assert (model, version, schema, name) == (expected_model, 1, expected_schema, expected_name)
        assert file_path == f"sykefravaer/{folder}/{stem}.parquet"
        assert len(code) == 64 and published_at
        # the register's count and checksum are the table's
        assert row_count == bq_warehouse.query(f"select count(*) from {schema}.{name}")[0][0] > 0
        assert content == checksum(bq_warehouse, schema, name)
        # the parquet file holds the same rows; the record file and the Datadoc sidecar sit beside it
        table = pq.read_table(storage(example_bigquery) / folder / f"{stem}.parquet")
        assert (table.num_rows, export.content_checksum(table)) == (row_count, content)
        record = json.loads((storage(example_bigquery) / "publisering" / folder / f"{stem}.json").read_text("utf-8"))
        kept = [record[key] for key in ("row_count", "content_checksum", "code_fingerprint")]
        assert kept == [row_count, content, code]
        assert (storage(example_bigquery) / folder / f"{stem}__DOC.json").is_file()
        # the latest view (no _v1) reads v1's rows
        view = name.removesuffix("_v1")
        assert checksum(bq_warehouse, schema, view) == content
        definition = bq_warehouse.query(
            f"select view_definition from {schema}.INFORMATION_SCHEMA.VIEWS where table_name = '{view}'"
        )
        assert name in definition[0][0]

    catalog = bq_warehouse.query(CATALOG)
    assert [(row[1], row[2], row[3]) for row in catalog] == sorted(
        (model, 1, True) for _schema, _name, _folder, model in DATASETS.values()
    )
    files = {row[1]: row for row in register}
    for dataset_id, model, _version, _latest, file_path, document in catalog:
        stem = next(stem for stem, spec in DATASETS.items() if spec[3] == model)
        sidecar = storage(example_bigquery) / DATASETS[stem][2] / f"{stem}__DOC.json"
        assert json.loads(document) == json.loads(sidecar.read_text(encoding="utf-8"))
        assert json.loads(document)["datadoc"]["dataset"]["id"] == dataset_id
        assert file_path.endswith(files[model][5])


def test_published_versions_are_never_rewritten_and_a_changed_one_is_refused(
    example_bigquery: BuiltExample, bq_warehouse: Any, tmp_path: Path
) -> None:
    register, catalog, files = bq_warehouse.query(REGISTER), bq_warehouse.query(CATALOG), stored_files(example_bigquery)
    tables = {stem: checksum(bq_warehouse, schema, name) for stem, (schema, name, _f, _m) in DATASETS.items()}

    # publishing again skips every published version: register, catalog and files as they were
    again = example_bigquery.cli("publish")
    for stem in DATASETS:
        assert f"{stem} is published (" in again.stdout
    assert "publish: published" not in again.stdout
    assert bq_warehouse.query(REGISTER) == register
    assert bq_warehouse.query(CATALOG) == catalog
    assert stored_files(example_bigquery) == files

    # in another copy of the project on the same warehouse: dbt skips the published model, then refuses it changed
    project = copy_project(tmp_path / "project")
    skipped = dbt(project, example_bigquery.env, "build", "--select", "sykefravaersprosent")
    assert skipped.returncode == 0, skipped.stdout[-3000:]
    assert f"sykefravaersprosent_{PERIODS}_v1 is published (" in skipped.stdout
    assert "PUBLISHED" in skipped.stdout
    model = project / "models" / "statistikk" / "sykefravaersprosent_v1.sql"
    code = model.read_text(encoding="utf-8")
    assert "select * from prosent" in code
    model.write_text(code.replace("select * from prosent", "select * from prosent where true", 1), encoding="utf-8")
    refused = dbt(project, example_bigquery.env, "build", "--select", "sykefravaersprosent")
    assert refused.returncode != 0
    assert REFUSED in refused.stdout, refused.stdout[-3000:]
    assert bq_warehouse.query(REGISTER) == register
    assert {stem: checksum(bq_warehouse, schema, name) for stem, (schema, name, _f, _m) in DATASETS.items()} == tables


def test_register_rows_round_trip_on_bigquery(bq_emulator: Any) -> None:
    """Any text survives the register's literals (BigQuery escapes with backslashes); the register's dataset is made
    with the profile's location (the emulator accepts the option but keeps every dataset in US)."""
    from dataprodukt.publish.register import Record, Register
    from tests.bigquery.conftest import emulator_warehouse

    warehouse = emulator_warehouse(bq_emulator)
    warehouse.location = "EU"
    try:
        register = Register(warehouse, "publisering_roundtrip")
        register.ensure()
        register.ensure()  # twice: nothing happens the second time
        record = Record(
            dataset="it's_v1",
            model="back\\slash",
            version=1,
            product="line\nbreak",
            dataset_state="STATISTICS",
            period_from="2024-Q1",
            period_to="",
            relation_schema="s",
            relation_name="r_v1",
            file_path="p/it's.parquet",
            row_count=12_345_678_901,
            content_checksum="c" * 64,
            code_fingerprint="f" * 64,
            sql_fingerprint="m" * 32,
            git_commit="abc-dirty",
            published_at="2026-01-02T03:04:05",
        )
        register.add(record)
        (found,) = register.records()
        assert {**found.__dict__, "published_at": ""} == {**record.__dict__, "published_at": ""}
        assert found.published_at == "2026-01-02T03:04:05"  # as publish writes it, on every engine
    finally:
        warehouse.client.delete_dataset(f"{warehouse.project}.publisering_roundtrip", delete_contents=True)
        warehouse.close()
