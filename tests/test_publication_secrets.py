"""Nothing a run leaves holds the pseudonymisation key or its pads: not target/ (compiled SQL, manifest, run
results), not logs/, not the published files and the catalog, not the run log, the register or the catalog table.
Only the key table holds the pads (the warehouse's protected place), and the development key file the key.
(PostgreSQL's statements are read off the wire in test_pseudonymize.py; BigQuery's job history in
tests/bigquery/test_scheduled_run.py.)"""

from __future__ import annotations

import json

import duckdb
import pytest

from dataprodukt.core.pseudonym_key import KEY_FILE
from dataprodukt.runlog.writer import FRESHNESS, INVOCATIONS, NODES, RUNS
from tests.conftest import BuiltExample
from tests.support import postgres
from tests.support.leftovers import in_files, in_rows, key_material

# what a run writes into the warehouse besides the data: the run log, the register, the Datadoc catalog table
TOOLING_TABLES = [
    *(f"{table.schema}.{table.name}" for table in (RUNS, INVOCATIONS, NODES, FRESHNESS)),
    "publisering.register",
    "katalog.datadoc",
]


def _files(example: BuiltExample, material: dict[str, bytes]) -> list[str]:
    build = example.root / "build"
    kept = [build / KEY_FILE, build / "sykefravaer.duckdb"]  # the key's own file; the warehouse with the key table
    return in_files([example.root / "target", example.root / "logs", build], material, skip=kept)


def test_a_duckdb_run_leaves_no_key_material(example_duckdb: BuiltExample) -> None:
    material = key_material((example_duckdb.root / "build" / KEY_FILE).read_text(encoding="utf-8").strip())
    found = _files(example_duckdb, material)
    with duckdb.connect(str(example_duckdb.root / "build" / "sykefravaer.duckdb"), read_only=True) as connection:
        for table in TOOLING_TABLES:
            found += in_rows(connection.sql(f"select * from {table}").fetchall(), material, table)
        assert in_rows(connection.sql("select * from pseudonymisering.nokkel").fetchall(), material, "key table")
    assert found == []


@pytest.mark.postgres
def test_a_postgres_run_leaves_no_key_material(example_postgres: BuiltExample) -> None:
    material = key_material((example_postgres.root / "build" / KEY_FILE).read_text(encoding="utf-8").strip())
    found = _files(example_postgres, material)
    connection = postgres.connect(example_postgres.env)
    with connection, connection.cursor() as cursor:
        for table in TOOLING_TABLES:
            cursor.execute(f"select * from {table}")
            found += in_rows(cursor.fetchall(), material, table)
    connection.close()
    assert found == []


def test_the_stored_publication_manifest_holds_no_compiled_sql(example_duckdb: BuiltExample) -> None:
    stored = next((example_duckdb.root / "build" / "storage").rglob("publisering/manifest.json")).read_text()
    shared = json.loads(stored)
    for section in ("nodes", "unit_tests"):
        assert not any("compiled_code" in entry for entry in shared[section].values()), section
    person = next(node for node in shared["nodes"].values() if node.get("name") == "sykefravaer_person")
    assert person["checksum"], "the stored manifest still serves state comparison"
