"""`dataprodukt add-source`: from a source table's data, its source YAML (where the extracts come from, the columns,
each date's format), the staging model and its YAML, and the history (key, change columns, integrity tests); the
key and types guessed from the data; a file a user edited is never overwritten.

It reads only the data (no dbt), so these run in a product made with `dataprodukt new` in a temporary folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, run_cli

SETTINGS = (
    "--team",
    "team-ameld",
    "--owner-code",
    "974",
    "--title",
    "A",
    "--period-from",
    "2025",
    "--period-to",
    "2025",
)
# a register's extract: ';'-separated Latin-1, a date in Norwegian form, an amount, a code with leading zeros
EXTRACT = [
    "virksomhet_id;orgnr;navn;stiftet;ansatte;kommune",
    "V1;912345678;Fjellsjø AS;01.02.2019;12;0301",
    "V2;912345679;Bjørk og Ærlig;15.03.2021;3;5501",
    "V3;912345680;Åsen Bakeri;30.11.2022;;1804",
]


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("add-source") / "ameld_data"
    run_cli(REPO, "new", "ameld_data", str(folder), *SETTINGS)
    extract = folder / "extracts" / "brreg" / "2025-01-31" / "virksomheter.csv"
    extract.parent.mkdir(parents=True)
    extract.write_bytes(("\n".join(EXTRACT) + "\n").encode("latin-1"))
    return folder


def _yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_a_folder_source_gets_its_yaml_staging_model_and_history_from_its_data(product: Path) -> None:
    result = run_cli(product, "add-source", "brreg", "virksomheter", "--folder", "extracts/brreg")
    assert "(3 rows; encoding latin-1, delimiter ';')" in result.stdout
    assert "the history's key is virksomhet_id" in result.stdout

    staging = product / "models" / "staging" / "brreg"
    (source,) = _yaml(staging / "_brreg__sources.yml")["sources"]
    assert source["meta"]["loader"] == {
        "kind": "files",
        "folder": "extracts/brreg",
        "delimiter": ";",
        "encoding": "latin-1",
    }
    (table,) = source["tables"]
    columns = {column["name"]: column for column in table["columns"]}
    assert list(columns) == ["virksomhet_id", "orgnr", "navn", "stiftet", "ansatte", "kommune"]
    assert columns["stiftet"]["meta"] == {"format": "%d.%m.%Y"}

    sql = (staging / "stg_brreg__virksomheter.sql").read_text(encoding="utf-8")
    assert "orgnr as organisasjonsnummer" in sql  # the name map's friendly name
    assert "{{ parse_date('stiftet') }} as stiftet" in sql
    assert "cast(ansatte as {{ dbt.type_int() }}) as ansatte" in sql
    assert "kommune as kommune" in sql  # leading zeros: kept as text

    (history,) = _yaml(product / "snapshots" / "hist_brreg__virksomheter.yml")["snapshots"]
    assert history["relation"] == "ref('stg_brreg__virksomheter')"
    assert (history["config"]["unique_key"], history["config"]["strategy"]) == ("virksomhet_id", "check")
    tests = [test if isinstance(test, str) else next(iter(test)) for test in history["data_tests"]]
    assert tests == [
        "history_versions_valid",
        "history_deletions_recorded",
        "history_row_count_never_decreases",
    ]

    # the same again changes nothing; a file the user edited is refused, with the difference, and left as it is
    again = run_cli(product, "add-source", "brreg", "virksomheter", "--folder", "extracts/brreg")
    assert "unchanged models/staging/brreg/stg_brreg__virksomheter.sql" in again.stdout
    edited = sql.replace("as ansatte", "as antall_ansatte")
    (staging / "stg_brreg__virksomheter.sql").write_text(edited, encoding="utf-8")
    refused = run_cli(product, "add-source", "brreg", "virksomheter", "--folder", "extracts/brreg", check=False)
    assert refused.returncode == 1
    assert "refused models/staging/brreg/stg_brreg__virksomheter.sql: it differs" in refused.stdout
    assert "-        cast(ansatte as {{ dbt.type_int() }}) as antall_ansatte," in refused.stdout
    assert "+        cast(ansatte as {{ dbt.type_int() }}) as ansatte," in refused.stdout
    assert (staging / "stg_brreg__virksomheter.sql").read_text(encoding="utf-8") == edited


def test_a_source_of_changes_gets_a_history_that_records_deletions_by_its_rule(product: Path) -> None:
    path = product / "extracts" / "endringer" / "2025-01-31" / "hendelser.csv"
    path.parent.mkdir(parents=True)
    path.write_text("hendelse_id,person_id,status\nH1,P1,ny\nH2,P2,slettet\n", encoding="utf-8")
    result = run_cli(
        product,
        "add-source",
        "endringer",
        "hendelser",
        "--folder",
        "extracts/endringer",
        "--changes",
        "status = 'slettet'",
    )
    assert "the history's key is hendelse_id" in result.stdout
    (history,) = _yaml(product / "snapshots" / "hist_endringer__hendelser.yml")["snapshots"]
    assert history["config"]["meta"] == {"history_source": "changes", "deleted_when": "status = 'slettet'"}


def test_a_table_without_a_present_unique_column_asks_for_the_key(product: Path) -> None:
    path = product / "extracts" / "dupl" / "2025-01-31" / "rader.csv"
    path.parent.mkdir(parents=True)
    path.write_text("kode,verdi\nA,1\nA,1\n,3\n", encoding="utf-8")  # no column present and unique
    result = run_cli(product, "add-source", "dupl", "rader", "--folder", "extracts/dupl", check=False)
    assert result.returncode == 2
    assert "error:" in result.stderr and "--key" in result.stderr
    assert not (product / "models" / "staging" / "dupl").exists()
