"""Every kind of change to a published model, classified from real dbt compiles on DuckDB and PostgreSQL.

One project copy per engine gets one published test model per kind of change (``endring_<kind>`` v1, each with its
own YAML entry; the code-list and upstream kinds read a seed and a model of their own). It is compiled once as
published, the publication's manifest is stored as the publish step stores it (normal forms, no compiled SQL),
every change is applied, and it is compiled once more: each model's decision must be the one in the table, and a
data change must be named in a line or two.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.publish.basis import basis_from_manifest, publication_manifest
from dataprodukt.publish.changes import DATA_MAY_CHANGE, NO_DATA_CHANGE, UNCHANGED, classify
from dataprodukt.publish.fingerprints import node_codes
from dataprodukt.rules.normalised_sql import dialect_of
from tests.conftest import clean_env

SQL = """-- Antall næringer per fylke (en testmodell).
with

fylker as (

    select * from {{ ref('SOURCE') }}

),

naering as (

    select * from {{ ref('naeringshovedomraader') }}

),

telt as (

    select
        fylker.fylkesnummer,
        fylker.fylkesnavn,
        cast(count(naering.naering_hovedomraade) as integer) as antall

    from fylker
    left join naering
        on fylker.fylkesnummer >= naering.naering_fra and fylker.fylkesnummer <= naering.naering_til
    group by fylker.fylkesnummer, fylker.fylkesnavn

)

select * from telt
"""

YAML = """
  - name: endring_NAME
    description: "Antall næringer per fylke."
    latest_version: 1
    config:
      tags: [endring]
      contract: {enforced: true}
      meta: {grain: [fylkesnummer], keyword: [fylke]}
    columns:
      - name: fylkesnummer
        data_type: varchar
        description: "Fylkesnummeret."
      - name: fylkesnavn
        data_type: varchar
        description: "Fylkets navn."
      - name: antall
        data_type: integer
        description: "Antall hovedområder."
    versions:
      - v: 1
"""


@dataclass(frozen=True)
class Case:
    kind: str
    decision: str
    sql: Callable[[str], str] = lambda text: text
    yaml: Callable[[str], str] = lambda text: text
    said: str = ""  # what the message names (data changes)
    source: str = "int_endring_felles"


def _swap_conditions(text: str) -> str:
    condition = "fylker.fylkesnummer >= naering.naering_fra and fylker.fylkesnummer <= naering.naering_til"
    swapped = "fylker.fylkesnummer <= naering.naering_til and naering.naering_fra <= fylker.fylkesnummer"
    return text.replace(condition, swapped).replace(
        "group by fylker.fylkesnummer, fylker.fylkesnavn", "group by fylker.fylkesnavn, fylker.fylkesnummer"
    )


def _alias(text: str) -> str:
    return text.replace("from fylker\n", "from fylker as f\n").replace("fylker.fylke", "f.fylke")


CASES = [
    Case("whitespace", NO_DATA_CHANGE, sql=lambda t: t.replace("    ", "\t").replace("\n\n", "\n").replace(",", " ,")),
    Case(
        "comment",
        NO_DATA_CHANGE,
        sql=lambda t: t.replace("    from fylker\n", "    -- every county\n    from fylker /* all */\n"),
    ),
    Case("cte_rename", NO_DATA_CHANGE, sql=lambda t: t.replace("telt", "per_fylke")),
    Case("alias_rename", NO_DATA_CHANGE, sql=_alias),
    Case("reordered_clauses", NO_DATA_CHANGE, sql=_swap_conditions),
    Case(
        "description_edit",
        NO_DATA_CHANGE,
        yaml=lambda t: t.replace('"Antall næringer per fylke."', '"Antall hovedområder for næring per fylke."'),
    ),
    Case("meta_edit", NO_DATA_CHANGE, yaml=lambda t: t.replace("keyword: [fylke]", "keyword: [fylke, næring]")),
    Case(
        "column_added",
        DATA_MAY_CHANGE,
        sql=lambda t: t.replace(
            " as antall\n", " as antall,\n        max(naering.naering_hovedomraade) as siste_hovedomraade\n"
        ),
        yaml=lambda t: t.replace(
            "    versions:",
            '      - name: siste_hovedomraade\n        data_type: varchar\n        description: "x"\n    versions:',
        ),
        said="column added: siste_hovedomraade (varchar)",
    ),
    Case(
        "column_dropped",
        DATA_MAY_CHANGE,
        sql=lambda t: t.replace("        fylker.fylkesnavn,\n", ""),
        yaml=lambda t: t.replace(
            '      - name: fylkesnavn\n        data_type: varchar\n        description: "Fylkets navn."\n', ""
        ),
        said="column dropped: fylkesnavn",
    ),
    Case(
        "column_renamed",
        DATA_MAY_CHANGE,
        sql=lambda t: t.replace("        fylker.fylkesnavn,\n", "        fylker.fylkesnavn as navn,\n"),
        yaml=lambda t: t.replace("- name: fylkesnavn", "- name: navn"),
        said="column renamed: fylkesnavn -> navn",
    ),
    Case(
        "type_widened",
        DATA_MAY_CHANGE,
        sql=lambda t: t.replace("as integer)", "as bigint)"),
        yaml=lambda t: t.replace("data_type: integer", "data_type: bigint"),
        said="column type changed: antall integer -> bigint",
    ),
    Case(
        "filter_added",
        DATA_MAY_CHANGE,
        sql=lambda t: t.replace("select * from telt", "select * from telt where antall > 0"),
        said="where clause added: antall > 0",
    ),
    Case(
        "expression_changed",
        DATA_MAY_CHANGE,
        sql=lambda t: t.replace("count(naering.", "count(distinct naering."),
        said="in telt: column antall changed",
    ),
    Case(
        "join_changed",
        DATA_MAY_CHANGE,
        sql=lambda t: t.replace("left join naering", "inner join naering"),
        said="in telt: join changed: left join naering -> inner join naering",
    ),
    Case(
        "code_list_seed_changed",
        DATA_MAY_CHANGE,
        said="seed endring_kodeliste: 1 row(s) added (03,Oslo by)",
        source="endring_kodeliste",
    ),
    Case(
        "upstream_model_changed",
        DATA_MAY_CHANGE,
        said="model int_endring_oppstroms: where clause added",
        source="int_endring_oppstroms",
    ),
    Case("nothing", UNCHANGED),
]


def _write_project(root: Path) -> None:
    (root / "models" / "statistikk" / "_endringer.yml").write_text(
        "version: 2\n\nmodels:\n" + "".join(YAML.replace("NAME", case.kind) for case in CASES), encoding="utf-8"
    )
    for case in CASES:
        (root / "models" / "statistikk" / f"endring_{case.kind}_v1.sql").write_text(
            SQL.replace("SOURCE", case.source), encoding="utf-8"
        )
    for name in ("int_endring_felles", "int_endring_oppstroms"):
        (root / "models" / "intermediate" / f"{name}.sql").write_text(
            "select fylkesnummer, fylkesnavn from {{ ref('fylker') }}\n", encoding="utf-8"
        )
    (root / "seeds" / "endring_kodeliste.csv").write_text(
        (root / "seeds" / "fylker.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )


def _change_project(root: Path) -> None:
    yaml_path = root / "models" / "statistikk" / "_endringer.yml"
    entries = yaml_path.read_text(encoding="utf-8").split("\n  - name: ")
    changed = [entries[0]]
    for entry in entries[1:]:
        kind = entry.split("\n", 1)[0].removeprefix("endring_")
        case = next(case for case in CASES if case.kind == kind)
        changed.append(case.yaml(entry.rstrip("\n") + "\n"))
    yaml_path.write_text("\n  - name: ".join(changed), encoding="utf-8")
    for case in CASES:
        path = root / "models" / "statistikk" / f"endring_{case.kind}_v1.sql"
        path.write_text(case.sql(path.read_text(encoding="utf-8")), encoding="utf-8")
    upstream = root / "models" / "intermediate" / "int_endring_oppstroms.sql"
    upstream.write_text(
        upstream.read_text(encoding="utf-8").rstrip() + " where fylkesnummer <> '03'\n", encoding="utf-8"
    )
    seed = root / "seeds" / "endring_kodeliste.csv"
    seed.write_text(seed.read_text(encoding="utf-8").replace("03,Oslo\n", "03,Oslo by\n"), encoding="utf-8")


def _compile(root: Path, target: str, env: dict[str, str]) -> dict[str, Any]:
    dbt = Path(sys.executable).with_name("dbt")
    (root / "build").mkdir(exist_ok=True)  # where the DuckDB file goes
    result = subprocess.run(
        [str(dbt), "compile", "--select", "+tag:endring", "--target", target, "--indirect-selection", "empty"],
        cwd=root,
        env={**env, "DBT_PROFILES_DIR": "profiles"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    manifest: dict[str, Any] = json.loads((root / "target" / "manifest.json").read_text(encoding="utf-8"))
    return manifest


PUBLISHED = {
    f"model.sykefravaer.endring_{case.kind}.v1": (f"endring-{case.kind}_v1", f"endring_{case.kind}_v1.sql")
    for case in CASES
}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def compiled(request: pytest.FixtureRequest, project_copy: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The publication's manifest as the publish step keeps it (normal forms, no compiled SQL), made from a compile
    of the test models as published, and a compile after every change."""
    env = clean_env(**request.getfixturevalue("pg_env")) if request.param == "postgres" else clean_env()
    _write_project(project_copy)
    before = _compile(project_copy, request.param, env)
    assert set(PUBLISHED) <= set(before["nodes"]), "every test model was compiled"
    stored = json.loads(json.dumps(publication_manifest(before, node_codes(before), PUBLISHED)))
    _change_project(project_copy)
    return stored, _compile(project_copy, request.param, env)


@pytest.mark.slow
def test_every_kind_of_change_gets_its_decision(compiled: tuple[dict[str, Any], dict[str, Any]]) -> None:
    stored, after = compiled
    assert not any("compiled_code" in node for node in stored["nodes"].values())
    basis = basis_from_manifest(stored, "the stored manifest")
    assert basis.published == PUBLISHED
    decisions = {
        decision.unique_id.split(".")[2].removeprefix("endring_"): decision
        for decision in classify(basis.published, basis.codes, node_codes(after), dialect_of(after))
    }
    found = {kind: decision.verdict for kind, decision in decisions.items()}
    assert found == {case.kind: case.decision for case in CASES}
    for case in CASES:
        decision = decisions[case.kind]
        if case.decision == DATA_MAY_CHANGE:
            said = decision.said(True)
            assert case.said in said, f"{case.kind}: {said}"
            assert said.count(";") <= 2, f"{case.kind}: more than a line or two: {said}"
            message = decision.refusal(2)
            assert f"endring-{case.kind}_v1 is published; add version 2 to change it" in message
            assert f"`dataprodukt version endring_{case.kind}`" in message
        elif case.decision == NO_DATA_CHANGE:
            assert "description or meta" in decision.said(False) or "same syntax tree" in decision.said(False)
