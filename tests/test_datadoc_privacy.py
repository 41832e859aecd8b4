"""The Datadoc export marks variables from the column-lineage classification where the YAML says nothing."""

from __future__ import annotations

import copy
import json

from dataprodukt.datadoc.exporter import personal_data_classes
from dataprodukt.datadoc.lineage import Lineage
from tests.conftest import BuiltExample


def test_an_undeclared_column_is_marked_as_its_lineage_says(example_duckdb: BuiltExample) -> None:
    manifest = json.loads((example_duckdb.root / "target" / "manifest.json").read_text())
    person = next(
        uid for uid, node in manifest["nodes"].items() if node["name"] == "sykefravaer_person" and node.get("version")
    )
    undeclared = copy.deepcopy(manifest)
    undeclared["nodes"][person]["columns"]["person_pseudonym"]["meta"].pop("is_personal_data")
    undeclared["nodes"][person]["columns"]["person_pseudonym"]["config"]["meta"].pop("is_personal_data", None)

    without = Lineage(undeclared).column(person, "person_pseudonym")
    assert without is None or "is_personal_data" not in without.meta

    classes = personal_data_classes(undeclared)
    assert classes is not None
    marked = Lineage(undeclared, classes).column(person, "person_pseudonym")
    assert marked is not None and marked.meta["is_personal_data"] == "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
    # a column the YAML declares keeps its declaration
    declared = Lineage(manifest, classes).column(person, "kvartal")
    assert declared is not None and declared.meta["is_personal_data"] == "NOT_PERSONAL_DATA"


def test_a_manifest_without_compiled_sql_gives_no_classes(example_duckdb: BuiltExample) -> None:
    manifest = json.loads((example_duckdb.root / "target" / "manifest.json").read_text())
    for node in manifest["nodes"].values():
        node.pop("compiled_code", None)
    assert personal_data_classes(manifest) is None
