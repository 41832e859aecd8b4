"""What is stored beside published data never carries key material rendered into compiled SQL."""

from __future__ import annotations

import json
import re

from tests.conftest import BuiltExample


def test_the_stored_publication_manifest_holds_no_pseudonymisation_pads(example_duckdb: BuiltExample) -> None:
    compiled = json.loads((example_duckdb.root / "target" / "manifest.json").read_text())
    person = next(
        node
        for node in compiled["nodes"].values()
        if node["resource_type"] == "model" and node["name"] == "sykefravaer_person"
    )
    pads = set(re.findall(r"[0-9a-f]{64,}", person["compiled_code"]))
    assert pads, "the pseudonymisation renders key-derived pads into the compiled SQL"

    stored = next((example_duckdb.root / "build" / "storage").rglob("publisering/manifest.json")).read_text()
    assert not any(pad in stored for pad in pads)
    shared = json.loads(stored)
    for section in ("nodes", "unit_tests"):
        assert not any("compiled_code" in entry for entry in shared[section].values()), section
    assert person["unique_id"] in shared["nodes"], "the stored manifest still serves state comparison"
