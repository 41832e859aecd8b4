"""The layout and docs checks, each planted with its violations in a copy of the project and run once
(`dataprodukt check --only layout --only docs`: one compile), asserting every line they print."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

PLANTED = {
    # layout
    "models/marts/rapport.sql": "select 1 as a\n",
    "models/staging/aareg/aareg_ansatte.sql": "select 1 as a\n",
    "models/staging/aareg/stg_enhetsregisteret__eiere.sql": "select 1 as a\n",
    "models/intermediate/arbeidsforhold_samlet.sql": "select 1 as a\n",
    "models/utdata/uten_versjon.sql": "select 1 as a\n",
    "models/utdata/som_tabell_v1.sql": "{{ config(materialized='table') }}\nselect 1 as a\n",
    "models/intermediate/int_publisert_feil_sted.sql": "{{ config(materialized='published_table') }}\nselect 1 as a\n",
    # docs
    "models/intermediate/int_udokumentert.sql": "select 1 as a, 2 as b\n",
}
YAML = {
    "models/utdata/_som_tabell.yml": """version: 2
models:
  - name: som_tabell
    description: "Planted: built as a table."
    latest_version: 1
    columns:
      - name: a
        description: "A."
    versions:
      - v: 1
""",
    "models/intermediate/_int_udokumentert.yml": """version: 2
models:
  - name: int_udokumentert
    description: "TODO"
    columns:
      - name: a
        description: "  "
      - name: b
        description: "Kolonne b."
""",
}
EXPECTED = [
    "rapport (models/marts/rapport.sql): folder: models live in one of models/{staging, intermediate, inndata, "
    "klargjorte_data, statistikk, utdata}/",
    "aareg_ansatte (models/staging/aareg/aareg_ansatte.sql): name: a staging model is named stg_<source>__<entity> "
    "(lower_snake, double underscore)",
    "stg_enhetsregisteret__eiere (models/staging/aareg/stg_enhetsregisteret__eiere.sql): folder: a staging model of "
    "source 'enhetsregisteret' lives in models/staging/enhetsregisteret/",
    "arbeidsforhold_samlet (models/intermediate/arbeidsforhold_samlet.sql): name: an intermediate model is named "
    "int_<topic>_<purpose>",
    "uten_versjon (models/utdata/uten_versjon.sql): version: a published model (data state folder) is a versioned dbt "
    "model: add `versions:` in its YAML",
    "som_tabell (models/utdata/som_tabell_v1.sql): materialized: a published model is built by the published_table "
    "materialization (set by its folder in dbt_project.yml), not 'table': remove the materialized config",
    "int_publisert_feil_sted (models/intermediate/int_publisert_feil_sted.sql): materialized: only models in a "
    "data-state folder (inndata, klargjorte_data, statistikk, utdata) are published_table",
    "int_udokumentert (models/intermediate/_int_udokumentert.yml): description: the model has no description",
    "int_udokumentert (models/intermediate/_int_udokumentert.yml): column a: no description",
    "rapport (models/marts/rapport.sql): description: the model has no description",
]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("planted") / "project")
    for relative, text in {**PLANTED, **YAML}.items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = run_cli(project, "check", "--only", "layout", "--only", "docs", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("line", EXPECTED)
def test_each_planted_violation_is_reported(checked: str, line: str) -> None:
    assert f"  {line}" in checked.splitlines(), checked


def test_the_example_itself_passes_both_checks(checked: str) -> None:
    names = {line.split(" (", 1)[0].strip() for line in checked.splitlines() if line.startswith("  ")}
    assert names <= {Path(path).stem.removesuffix("_v1") for path in PLANTED} | {"int_udokumentert"}, checked
    assert "check layout: 7 violation(s)" in checked
