"""Derived Datadoc fields, one table each: types per engine, periods, versions, states, ids, personal data,
inheritance along the lineage, enums, placeholders and lengths. Fast: synthetic artifacts, no dbt run."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from benchmarks import synthetic_artifacts as synthetic
from datadoc_model.required.model import MetadataContainer

from dataprodukt.core.artifacts import Artifacts
from dataprodukt.core.errors import UserError
from dataprodukt.core.storage import Storage
from dataprodukt.datadoc.describe import describe, variable_id
from dataprodukt.datadoc.exporter import describe_all, export
from dataprodukt.datadoc.lineage import Lineage
from dataprodukt.datadoc.types import column_kind, datadoc_type, table_schema_type
from dataprodukt.rules.identity import published_datasets

# (engine, type as catalog.json reports it, Datadoc data_type, Table Schema type)
TYPES = [
    ("duckdb", "INTEGER", "INTEGER", "integer"),
    ("duckdb", "BIGINT", "INTEGER", "integer"),
    ("duckdb", "HUGEINT", "INTEGER", "integer"),
    ("duckdb", "VARCHAR", "STRING", "string"),
    ("duckdb", "DECIMAL(28,6)", "FLOAT", "number"),
    ("duckdb", "DOUBLE", "FLOAT", "number"),
    ("duckdb", "DATE", "DATETIME", "date"),
    ("duckdb", "TIMESTAMP", "DATETIME", "datetime"),
    ("duckdb", "TIMESTAMP WITH TIME ZONE", "DATETIME", "datetime"),
    ("duckdb", "TIME", "DATETIME", "time"),
    ("duckdb", "BOOLEAN", "BOOLEAN", "boolean"),
    ("duckdb", "BLOB", "STRING", "string"),
    ("duckdb", "VARCHAR[]", "ARRAY[STRING]", "array"),
    ("postgres", "integer", "INTEGER", "integer"),
    ("postgres", "bigint", "INTEGER", "integer"),
    ("postgres", "smallint", "INTEGER", "integer"),
    ("postgres", "character varying", "STRING", "string"),
    ("postgres", "character varying(100)", "STRING", "string"),
    ("postgres", "text", "STRING", "string"),
    ("postgres", "numeric", "FLOAT", "number"),
    ("postgres", "numeric(28,6)", "FLOAT", "number"),
    ("postgres", "double precision", "FLOAT", "number"),
    ("postgres", "date", "DATETIME", "date"),
    ("postgres", "timestamp without time zone", "DATETIME", "datetime"),
    ("postgres", "timestamp with time zone", "DATETIME", "datetime"),
    ("postgres", "boolean", "BOOLEAN", "boolean"),
    ("postgres", "integer[]", "ARRAY[INTEGER]", "array"),
    ("bigquery", "INT64", "INTEGER", "integer"),
    ("bigquery", "STRING", "STRING", "string"),
    ("bigquery", "BYTES", "STRING", "string"),
    ("bigquery", "NUMERIC", "FLOAT", "number"),
    ("bigquery", "BIGNUMERIC(40,2)", "FLOAT", "number"),
    ("bigquery", "FLOAT64", "FLOAT", "number"),
    ("bigquery", "DATE", "DATETIME", "date"),
    ("bigquery", "DATETIME", "DATETIME", "datetime"),
    ("bigquery", "TIMESTAMP", "DATETIME", "datetime"),
    ("bigquery", "BOOL", "BOOLEAN", "boolean"),
    ("bigquery", "ARRAY<INT64>", "ARRAY[INTEGER]", "array"),
]


@pytest.mark.parametrize(("engine", "warehouse_type", "expected", "schema_type"), TYPES)
def test_data_type_per_engine(engine: str, warehouse_type: str, expected: str, schema_type: str) -> None:
    kind = column_kind(warehouse_type)
    assert datadoc_type(kind) == expected, f"{engine} {warehouse_type}"
    assert table_schema_type(kind) == schema_type


@pytest.mark.parametrize("warehouse_type", ["STRUCT<a INT64>", "GEOGRAPHY", "interval", "", None])
def test_types_without_a_datadoc_type_are_unknown(warehouse_type: str | None) -> None:
    assert datadoc_type(column_kind(warehouse_type)) is None


def _places(root: Path) -> tuple[Storage, Storage]:
    """Storage whose files the metadata names under gs://b, and a catalog folder."""
    return Storage(str(root / "storage"), "gs://b"), Storage(str(root / "catalog"))


def _artifacts(models: int = 3) -> Artifacts:
    return synthetic.artifacts(models)


def _node(artifacts: Artifacts, name: str) -> dict[str, Any]:
    node: dict[str, Any] = artifacts.manifest["nodes"][f"model.syntetisk.{name}.v1"]
    return node


def _describe(artifacts: Artifacts, name: str = "tabell_0") -> Any:
    synthetic.name_datasets(artifacts.manifest)  # as dbt does when a version or period changes
    dataset = next(item for item in published_datasets(artifacts.manifest) if item.model == name)
    return describe(dataset, artifacts.catalog_columns(dataset.unique_id), Lineage(artifacts.manifest), "gs://b")


# (period_from, period_to, contains_data_from, contains_data_until)
PERIODS = [
    ("2024-Q1", "2024-Q4", "2024-01-01", "2024-12-31"),
    ("2020-W15", None, "2020-04-06", "2020-04-12"),
    ("2022", "2023", "2022-01-01", "2023-12-31"),
    ("2022-02", None, "2022-02-01", "2022-02-28"),
    ("2022-B1", None, "2022-01-01", "2022-02-28"),
    ("2022-T3", None, "2022-09-01", "2022-12-31"),
    ("2022-H1", None, "2022-01-01", "2022-06-30"),
    ("2024-12-31T23-59-30.000", None, "2024-12-31", "2024-12-31"),
]


@pytest.mark.parametrize(("period_from", "period_to", "first", "last"), PERIODS)
def test_contains_data_from_and_until_come_from_the_periods(
    period_from: str, period_to: str | None, first: str, last: str
) -> None:
    artifacts = _artifacts(1)
    meta = _node(artifacts, "tabell_0")["config"]["meta"]
    meta["period_from"], meta["period_to"] = period_from, period_to
    fields = _describe(artifacts).fields
    assert (fields["contains_data_from"], fields["contains_data_until"]) == (first, last)


# (version, meta version_description, expected nb text, missing)
VERSIONS = [
    (1, None, "Opprinnelig versjon", False),
    (1, "Første utgave", "Første utgave", False),
    (2, None, None, True),
    (2, "Rettet feil i fylkesnummer", "Rettet feil i fylkesnummer", False),
]


@pytest.mark.parametrize(("version", "given", "expected", "missing"), VERSIONS)
def test_version_and_version_description(version: int, given: str | None, expected: str | None, missing: bool) -> None:
    artifacts = _artifacts(1)
    node = _node(artifacts, "tabell_0")
    node["version"] = node["latest_version"] = version
    if given:
        node["config"]["meta"]["version_description"] = given
    description = _describe(artifacts)
    assert description.fields["version"] == str(version)
    assert description.fields["short_name"].endswith(f"_v{version}")
    texts = description.fields["version_description"]
    assert (texts[0]["languageText"] if texts else None) == expected
    assert any(item.field == "version_description" for item in description.missing) == missing


# (folder, dataset_state, assessment, storage folder)
STATES = [
    ("inndata", "INPUT_DATA", "PROTECTED", "inndata"),
    ("klargjorte_data", "PROCESSED_DATA", "PROTECTED", "klargjorte-data"),
    ("statistikk", "STATISTICS", "PROTECTED", "statistikk"),
    ("utdata", "OUTPUT_DATA", "OPEN", "utdata"),
]


@pytest.mark.parametrize(("folder", "state", "assessment", "storage_folder"), STATES)
def test_state_assessment_and_file_path_come_from_the_folder(
    folder: str, state: str, assessment: str, storage_folder: str
) -> None:
    artifacts = _artifacts(1)
    _node(artifacts, "tabell_0")["original_file_path"] = f"models/{folder}/tabell_0_v1.sql"
    fields = _describe(artifacts).fields
    assert (fields["dataset_state"], fields["assessment"]) == (state, assessment)
    assert fields["file_path"] == f"gs://b/syntetisk/{storage_folder}/tabell-0_p2024-Q1_p2024-Q4_v1.parquet"


def test_ids_are_stable_uuid5_and_distinct() -> None:
    first, again = _describe(_artifacts(2)), _describe(_artifacts(2))
    other = _describe(_artifacts(2), "tabell_1")
    assert first.fields["id"] == again.fields["id"] != other.fields["id"]
    assert uuid.UUID(first.fields["id"]).version == 5
    ids = [variable.fields["id"] for variable in first.variables]
    assert len(set(ids)) == len(ids)
    assert ids[0] == str(variable_id(first.dataset, "person_id"))


# (is_personal_data of person_id, variable is personal, dataset contains personal data)
PERSONAL = [
    ("NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA", True, "true"),
    ("PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA", True, "true"),
    ("NOT_PERSONAL_DATA", False, "false"),
    (True, True, "true"),
    (False, False, "false"),
]


@pytest.mark.parametrize(("given", "personal", "contains"), PERSONAL)
def test_contains_personal_data_is_any_personal_variable(given: object, personal: bool, contains: str) -> None:
    artifacts = _artifacts(1)
    staging = artifacts.manifest["nodes"]["model.syntetisk.stg_kilde__tabell_0"]
    staging["columns"]["person_id"]["meta"]["is_personal_data"] = given
    description = _describe(artifacts)
    assert description.variables[0].fields["is_personal_data"] is personal
    assert {"key": "contains_personal_data", "value": contains} in description.fields["custom_type"]


def test_columns_inherit_description_and_meta_from_upstream_unless_overridden() -> None:
    artifacts = _artifacts(1)
    published = _node(artifacts, "tabell_0")["columns"]
    published["andel"] = {"name": "andel", "description": "Egen tekst.", "meta": {"measurement_unit": "promille"}}
    variables = {variable.short_name: variable for variable in _describe(artifacts).variables}
    assert variables["kvartal"].fields["comment"][0]["languageText"].startswith("Kolonnen kvartal")
    assert variables["kvartal"].doc.described_in == "model.syntetisk.stg_kilde__tabell_0"
    assert variables["kvartal"].fields["variable_role"] == "START_TIME"
    assert variables["andel"].fields["comment"][0]["languageText"] == "Egen tekst."
    assert variables["andel"].fields["measurement_unit"] == "promille"
    assert variables["andel"].fields["variable_role"] == "MEASURE"  # the rest still inherited


def test_other_languages_come_from_meta() -> None:
    artifacts = _artifacts(1)
    meta = _node(artifacts, "tabell_0")["config"]["meta"]
    meta.update({"description_en": "The table.", "population_description_nn": "Alle syntetiske personar."})
    fields = _describe(artifacts).fields
    assert [item["languageCode"] for item in fields["description"]] == ["nb", "en"]
    assert fields["description"][1]["languageText"] == "The table."
    assert fields["population_description"][1] == {"languageCode": "nn", "languageText": "Alle syntetiske personar."}


@pytest.mark.parametrize("placeholder", ["TODO", "todo", "  ", "TBD", "FIXME"])
def test_placeholders_count_as_missing(placeholder: str) -> None:
    artifacts = _artifacts(1)
    _node(artifacts, "tabell_0")["config"]["meta"]["population_description"] = placeholder
    description = _describe(artifacts)
    assert [item.field for item in description.missing] == ["population_description"]
    assert description.percentage_complete < 100


def test_a_column_description_over_1024_characters_is_too_long() -> None:
    artifacts = _artifacts(1)
    _node(artifacts, "tabell_0")["columns"]["antall"]["description"] = "x" * 1025
    findings = [item for item in _describe(artifacts).findings if item.rule.startswith("too long")]
    assert [(item.column, item.field) for item in findings] == [("antall", "description")]
    assert "1025 characters" in findings[0].rule


def test_a_bad_enum_value_names_model_column_field_value_and_allowed_values(tmp_path: Path) -> None:
    artifacts = _artifacts(2)
    staging = artifacts.manifest["nodes"]["model.syntetisk.stg_kilde__tabell_1"]
    staging["columns"]["antall"]["meta"]["variable_role"] = "MEASUREMENT"
    with pytest.raises(UserError) as raised:
        export(tmp_path, artifacts, *_places(tmp_path))
    message = str(raised.value)
    assert "model tabell_1, column antall: meta variable_role 'MEASUREMENT' is not one of IDENTIFIER, MEASURE" in (
        message
    )
    assert "START_TIME, STOP_TIME, ATTRIBUTE" in message
    assert not (tmp_path / "storage").exists() and not (tmp_path / "catalog").exists()  # nothing written


def test_an_invalid_document_writes_nothing(tmp_path: Path) -> None:
    artifacts = _artifacts(3)
    _node(artifacts, "tabell_2")["config"]["meta"]["owner"] = ""
    _node(artifacts, "tabell_1")["columns"]["fylkesnummer"]["meta"] = {"classification_uri": "ikke en lenke"}
    with pytest.raises(UserError) as raised:
        export(tmp_path, artifacts, *_places(tmp_path))
    message = str(raised.value)
    assert "model tabell_2 v1: owner: Field required" in message
    assert "model tabell_1 v1, column fylkesnummer: classification_uri 'ikke en lenke'" in message
    assert not any(tmp_path.rglob("*.json"))


def test_export_writes_valid_documents_that_read_back_equal_and_do_not_churn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("DATAPRODUKT_METADATA_BY", "analytiker@example.invalid")
    artifacts = _artifacts(6)
    first = export(tmp_path, copy.deepcopy(artifacts), *_places(tmp_path))
    files = sorted(tmp_path.rglob("*.json"))
    assert len(first.documents) == 6 and first.changed_files == 6 * 2 + 2  # + index and data package
    for document in first.documents:
        read = MetadataContainer.model_validate_json(document.data)
        assert read == document.container
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files}
    again = export(tmp_path, copy.deepcopy(artifacts), *_places(tmp_path))
    assert again.changed_files == 0
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files} == before
    # a changed description changes that document only: created stays, updated is now
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    monkeypatch.setenv("DATAPRODUKT_METADATA_BY", "redaktor@example.invalid")
    _node(artifacts, "tabell_4")["description"] = "Ny beskrivelse."
    changed = export(tmp_path, artifacts, *_places(tmp_path))
    assert changed.changed_files == 4  # the sidecar, its catalog copy, the index and the data package
    new = json.loads(next(d.data for d in changed.documents if d.description.dataset.model == "tabell_4"))
    assert {key: value for key, value in new["datadoc"]["dataset"].items() if key.startswith("metadata_")} == {
        "metadata_created_date": "2023-11-14T22:13:20Z",
        "metadata_created_by": "analytiker@example.invalid",
        "metadata_last_updated_date": "2027-01-15T08:00:00Z",
        "metadata_last_updated_by": "redaktor@example.invalid",
    }


def test_v0_is_a_draft_validated_with_the_optional_model(tmp_path: Path) -> None:
    artifacts = _artifacts(1)
    node = _node(artifacts, "tabell_0")
    node["version"] = node["latest_version"] = 0
    node["config"]["meta"].pop("owner")
    synthetic.name_datasets(artifacts.manifest)
    result = export(tmp_path, artifacts, *_places(tmp_path))
    assert [document.strict for document in result.documents] == [False]
    assert not (tmp_path / "storage" / "syntetisk" / "datapackage.json").exists()  # v0 is not packaged


def test_describe_all_uses_every_published_model() -> None:
    descriptions = describe_all(_artifacts(9), "gs://b")
    assert sorted(d.dataset.dataset_state for d in descriptions).count("OUTPUT_DATA") == 3
    assert all(d.percentage_complete == 100 for d in descriptions), [d.findings for d in descriptions]


def test_a_model_description_longer_than_bigquery_takes_is_too_long() -> None:
    artifacts = _artifacts(1)
    meta = _node(artifacts, "tabell_0")["config"]["meta"]
    meta["description_en"] = "y" * 16385
    findings = [item for item in _describe(artifacts).findings if item.rule.startswith("too long")]
    assert [(item.column, item.field) for item in findings] == [(None, "description")]
    assert "16385 characters, BigQuery takes 16384" in findings[0].rule


def test_model_level_values_are_every_variables_unless_the_column_says_otherwise() -> None:
    artifacts = _artifacts(1)
    meta = _node(artifacts, "tabell_0")["config"]["meta"]
    meta["variable_role"] = "ATTRIBUTE"
    staging = artifacts.manifest["nodes"]["model.syntetisk.stg_kilde__tabell_0"]["columns"]
    del staging["fylkesnummer"]["meta"]["variable_role"]  # no role written anywhere: the model's
    staging["antall"]["meta"]["population_description"] = "Personer med minst én hendelse."
    staging["antall"]["meta"]["unit_type"] = "12"
    variables = {variable.short_name: variable.fields for variable in _describe(artifacts).variables}
    assert variables["fylkesnummer"]["variable_role"] == "ATTRIBUTE"
    assert variables["kvartal"]["variable_role"] == "START_TIME"  # written where it enters: wins
    assert variables["kvartal"]["population_description"] == [
        {"languageCode": "nb", "languageText": "Alle syntetiske personer."}
    ]
    assert variables["antall"]["population_description"][0]["languageText"] == "Personer med minst én hendelse."
    assert (variables["antall"]["unit_type"], variables["kvartal"]["unit_type"]) == ("12", "20")


def test_a_definition_written_where_a_column_enters_follows_it_as_a_vardef_urn() -> None:
    artifacts = _artifacts(1)
    staging = artifacts.manifest["nodes"]["model.syntetisk.stg_kilde__tabell_0"]["columns"]
    staging["fylkesnummer"]["meta"]["definition_uri"] = "https://metadata.ssb.no/variable-definitions/wypvb3wd"
    staging["fylkesnummer"]["meta"]["classification_uri"] = "https://www.ssb.no/klass/klassifikasjoner/104"
    _node(artifacts, "tabell_0")["columns"]["antall"]["meta"]["definition_uri"] = (
        "urn:ssb:variable-definition:vardef:Ab12Cd34"
    )
    variables = {variable.short_name: variable.fields for variable in _describe(artifacts).variables}
    assert variables["fylkesnummer"]["definition_uri"] == "urn:ssb:variable-definition:vardef:wypvb3wd"
    assert variables["fylkesnummer"]["classification_uri"] == "urn:ssb:classification:klass:104"
    assert variables["antall"]["definition_uri"] == "urn:ssb:variable-definition:vardef:Ab12Cd34"


# (meta version_description, the publication's change note, expected nb text)
DESCRIPTIONS = [
    ("Rettet fylkesnummer", "Korrigert: 12 rader endret", "Rettet fylkesnummer"),
    (None, "Korrigert: 12 rader endret i antall", "Korrigert: 12 rader endret i antall"),
    (None, None, "Endret fra versjon 1: fjernet belop."),
]


@pytest.mark.parametrize(("written", "note", "expected"), DESCRIPTIONS)
def test_version_description_is_the_authors_then_the_change_note_then_the_difference(
    written: str | None, note: str | None, expected: str
) -> None:
    from types import SimpleNamespace

    from dataprodukt.datadoc.describe import Context

    artifacts = _artifacts(1)
    node = _node(artifacts, "tabell_0")
    node["version"] = node["latest_version"] = 2
    if written:
        node["config"]["meta"]["version_description"] = written
    previous = [variable.fields for variable in _describe(_artifacts(1)).variables]
    del node["columns"]["belop"]
    del artifacts.catalog["nodes"]["model.syntetisk.tabell_0.v1"]["columns"]["belop"]
    synthetic.name_datasets(artifacts.manifest)
    dataset = published_datasets(artifacts.manifest)[0]
    record = SimpleNamespace(change_note=note)  # the publication register's record, when it has a change note
    context = Context(1, tuple(previous), record)
    found = describe(dataset, artifacts.catalog_columns(dataset.unique_id), Lineage(artifacts.manifest), "", context)
    assert found.fields["version_description"][0]["languageText"] == expected


def test_a_version_no_longer_in_the_project_is_compared_from_its_document_in_storage(tmp_path: Path) -> None:
    from dataprodukt.publish.register import Record, record_path

    storage, catalog = _places(tmp_path)
    artifacts = _artifacts(1)
    first = export(tmp_path, copy.deepcopy(artifacts), storage, catalog).documents[0].description.dataset
    fields = dict.fromkeys(("product", "period_from", "period_to", "relation_schema", "relation_name"), "x")
    record = Record(
        **{**fields, "dataset": first.stem, "model": first.model, "version": 1, "dataset_state": first.dataset_state},
        file_path=str(first.storage_path),
        row_count=1,
        content_checksum="c",
        code_fingerprint="f",
        sql_fingerprint="s",
        git_commit=None,
        published_at="2026-01-01T08:00:00",
    )
    storage.write_new(record_path("syntetisk", first.storage_folder, first.stem), record.to_json().encode("utf-8"))
    node = _node(artifacts, "tabell_0")  # v1 leaves the project, v2 has a column more
    node["version"] = node["latest_version"] = 2
    node["columns"]["ny"] = {"name": "ny", "description": "Ny kolonne.", "meta": {"variable_role": "ATTRIBUTE"}}
    artifacts.catalog["nodes"]["model.syntetisk.tabell_0.v1"]["columns"]["ny"] = {"name": "ny", "type": "VARCHAR"}
    synthetic.name_datasets(artifacts.manifest)
    [second] = describe_all(artifacts, "gs://b", storage)
    assert second.fields["version_description"][0]["languageText"] == "Endret fra versjon 1: lagt til ny (STRING)."
    assert second.changes is not None and [item.short_name for item in second.changes.added] == ["ny"]
