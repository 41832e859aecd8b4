"""BigQuery production configs, proven offline: `dbt parse` for the production `bigquery` target (no credentials,
no network) and the node configs that reach the DDL (the DDL itself is asserted on the emulator build)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import clean_env, copy_project

# the folder is the data state (DESIGN.md); the label is Datadoc's dataset_state in lower case
STATE_LABELS = {"klargjorte_data": "processed_data", "statistikk": "statistics", "utdata": "output_data"}
HISTORY_KEYS = {
    "hist_sykmelding__sykmeldinger": "sykmelding_id",
    "hist_aareg__arbeidsforhold": "arbeidsforhold_id",
    "hist_enhetsregisteret__virksomheter": "organisasjonsnummer",
}
# BigQuery label values: lower case letters, digits, - and _, at most 63 characters
LABEL_VALUE = r"^[a-z0-9_-]{1,63}$"


@pytest.fixture(scope="module")
def bigquery_manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = copy_project(tmp_path_factory.mktemp("bigquery-parse"))
    env = clean_env(DBT_PROFILES_DIR=str(project / "profiles"), BQ_PROJECT="offline-project", BQ_METHOD="oauth")
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "parse", "--target", "bigquery", "--no-partial-parse"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    manifest: dict[str, Any] = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def _published(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].split("/")[1] in STATE_LABELS
    ]


def test_every_published_table_is_labelled_with_product_state_version_and_owner(
    bigquery_manifest: dict[str, Any],
) -> None:
    import re

    published = _published(bigquery_manifest)
    assert len(published) >= 3
    for node in published:
        labels = node["config"]["labels"]
        folder = node["original_file_path"].split("/")[1]
        assert labels == {
            "product": "sykefravaer",
            "data_state": STATE_LABELS[folder],
            "version": str(node["version"]),
            "owner": "team-sykefravaer",
        }, f"{node['name']}: copy the labels when adding a version, and set version to the new v"
        for value in labels.values():
            assert re.match(LABEL_VALUE, value), f"{node['name']}: label value {value!r} is not allowed by BigQuery"
        assert node["config"]["persist_docs"] == {"relation": True, "columns": True}


def test_person_level_table_is_clustered(bigquery_manifest: dict[str, Any]) -> None:
    person = bigquery_manifest["nodes"]["model.sykefravaer.sykefravaer_person.v1"]
    assert person["config"]["cluster_by"] == ["kvartal", "organisasjonsnummer"]


@pytest.mark.parametrize(("history", "key"), sorted(HISTORY_KEYS.items()))
def test_histories_are_partitioned_by_month_and_clustered_by_validity_and_key(
    bigquery_manifest: dict[str, Any], history: str, key: str
) -> None:
    config = bigquery_manifest["nodes"][f"snapshot.sykefravaer.{history}"]["config"]
    assert config["partition_by"] == {"field": "gyldig_fra", "data_type": "timestamp", "granularity": "month"}
    assert config["cluster_by"] == ["gyldig_til", key]
    # the snapshot's merge reads the whole history, which a required partition filter would refuse
    assert not config.get("require_partition_filter")


def test_production_profile_caps_bytes_billed_and_reads_credentials_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataprodukt.core.project import Project
    from dataprodukt.core.warehouse import profile_credentials

    project = copy_project(tmp_path / "project")
    for name in ("DBT_TARGET", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR", "BQ_MAXIMUM_BYTES_BILLED", "BQ_KEYFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DBT_TARGET", "bigquery")
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project / "profiles"))
    monkeypatch.setenv("DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("BQ_PROJECT", "offline-project")
    monkeypatch.setenv("BQ_METHOD", "oauth")
    credentials = profile_credentials(Project(project, "bigquery"))
    assert credentials.maximum_bytes_billed == 100_000_000_000
    assert credentials.method == "oauth"
    assert credentials.database == "offline-project"
    assert credentials.location == "europe-north1"
    assert not credentials.keyfile_json
    text = (project / "profiles" / "profiles.yml").read_text(encoding="utf-8")
    assert "private_key" not in text
