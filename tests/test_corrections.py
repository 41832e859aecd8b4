"""A correction in a source batch: the published versions stay as they are, the run reports the difference, and
`dataprodukt publish --new-version` publishes v2 with its diff and a Datadoc version_description from it, v1
untouched byte for byte; a second correction gives v3 from the run by itself where the model's meta asks for it.
Also: a data change to a published model is refused, and `dataprodukt version` moves it to the next version. One
project on DuckDB, each step a CLI run."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dataprodukt.load.deliveries import MANIFEST, MANIFEST_FIELD
from tests.conftest import clean_env, run_cli

PERIODS = "p2024-Q1_p2024-Q4"
PERSON = f"sykefravaer-person_{PERIODS}"
CORRECTED = 12  # certificates whose end date the correction moves


def cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run_cli(root, *args, "--target", "duckdb", env=clean_env(), check=check)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            **clean_env(),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
        },
    )


def correct_batch(raw: Path, count: int, day: int = 30) -> list[str]:
    """A new batch: the last one again, with ``count`` certificates of 2024 ending three days later (a late
    correction from the source system, changed on 2025-01-``day``, extracted four days later)."""
    last = sorted(path for path in raw.iterdir() if path.name.startswith("batch_"))[-1]
    new = raw / f"batch_{int(last.name.removeprefix('batch_')) + 1:03d}"
    shutil.copytree(last, new)
    path = new / "sykmeldinger.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    start, end, changed_at = header.index("FOM_DATO"), header.index("TOM_DATO"), header.index("ENDRET_TID")
    changed = []
    for row in body:
        if len(changed) < count and row[start].startswith("2024-0") and row[end]:
            row[end] = (date.fromisoformat(row[end]) + timedelta(days=3)).isoformat()
            row[changed_at] = f"2025-01-{day:02d} 12:00:00"
            changed.append(row[0])

    def line(fields: list[str]) -> str:  # as the source writes it: empty fields unquoted (null), others quoted
        return ",".join('"' + field.replace('"', '""') + '"' if field else "" for field in fields) + "\n"

    path.write_text("".join(line(row) for row in [header, *body]), encoding="utf-8")
    meta = json.loads((new / "batch.json").read_text(encoding="utf-8"))
    meta.update(
        batch=meta["batch"] + 1,
        extracted_at=(date(2025, 1, day) + timedelta(days=4)).isoformat() + " 06:00:00",
        changes={"sykmeldinger": {"updated": count}},
    )
    (new / "batch.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    # a delivery of its own: its own time (the copied manifest holds the last batch's)
    delivered = {MANIFEST_FIELD: meta["extracted_at"].replace(" ", "T")}
    (new / MANIFEST).write_text(json.dumps(delivered) + "\n", encoding="utf-8")
    return changed


def published_state(root: Path, version: int = 1) -> dict[str, Any]:
    """Every file's sha256 of a version (the reports about it aside), and every relation's storage blocks and
    rows."""
    storage = root / "build" / "storage" / "sykefravaer"
    files = {
        str(path.relative_to(storage)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(storage.rglob(f"*_v{version}*"))
        if path.is_file() and not path.name.endswith("__diff.json")
    }
    connection = duckdb.connect(str(root / "build" / "sykefravaer.duckdb"), read_only=True)
    try:
        relations = {
            f"{schema}.{name}": (
                connection.execute(f"select * from pragma_storage_info('{schema}.{name}') order by all").fetchall(),
                sorted(connection.execute(f"select * from {schema}.{name}").fetchall(), key=repr),
            )
            for schema, name in connection.execute(
                "select schema_name, table_name from duckdb_tables()"
                f" where table_name like '%\\_v{version}' escape '\\'"
                " and schema_name like 'sykefravaer\\_%' escape '\\'"
            ).fetchall()
        }
    finally:
        connection.close()
    return {"files": files, "relations": relations}


def independent_diff(root: Path) -> dict[str, int]:
    """v1 and v2 of sykefravaer_person compared from their parquet files, without the tooling: rows per column."""
    folder = root / "build" / "storage" / "sykefravaer" / "klargjorte-data"
    connection = duckdb.connect()
    try:
        columns = [
            row[0]
            for row in connection.execute(f"describe select * from '{folder / (PERSON + '_v1.parquet')}'").fetchall()
        ]
        found = {}
        for column in columns:
            found[column] = connection.execute(
                f"select count(*) from '{folder / (PERSON + '_v1.parquet')}' as a "
                f"join '{folder / (PERSON + '_v2.parquet')}' as b using (arbeidsforhold_id, kvartal) "
                f"where a.{column} is distinct from b.{column}"
            ).fetchone()[0]
        found["_rows"] = connection.execute(f"select count(*) from '{folder / (PERSON + '_v2.parquet')}'").fetchone()[0]
    finally:
        connection.close()
    return {column: count for column, count in found.items() if count}


@pytest.mark.slow
def test_a_correction_gives_v2_with_its_diff_and_leaves_v1_as_published(project_copy: Path) -> None:
    root = project_copy
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the product")
    first = cli(root, "run")
    assert f"published {PERSON}_v1:" in first.stdout
    published = published_state(root)
    assert len(published["relations"]) == 3 and published["files"]

    # a data change to a published model is refused and named; `dataprodukt version` moves it to v2
    model = root / "models" / "utdata" / "sykefravaer_v1.sql"
    original = model.read_text(encoding="utf-8")
    model.write_text(
        original.replace("    from prikket\n", "    from prikket\n    where prikket is null\n"), encoding="utf-8"
    )
    refused = cli(root, "check", "--only", "versions", check=False)
    assert refused.returncode == 1
    said = "is published and its data may change: in offentlig: where clause added: prikket IS NULL"
    assert f"sykefravaer_{PERIODS}_v1 (v1): {said}" in refused.stdout
    moved = cli(root, "version", "sykefravaer")
    assert "v1 is back as published" in moved.stdout, moved.stdout
    assert model.read_text(encoding="utf-8") == original
    assert "where prikket is null" in (root / "models" / "utdata" / "sykefravaer_v2.sql").read_text(encoding="utf-8")
    assert "      - v: 2\n" in (root / "models" / "utdata" / "_sykefravaer.yml").read_text(encoding="utf-8")
    (root / "models" / "utdata" / "sykefravaer_v2.sql").unlink()  # not wanted here: back to the published code
    git(root, "checkout", "--", "models")

    # the correction arrives: the run loads it, leaves every published version as it is and reports the difference
    changed = correct_batch(root / "build" / "raw", CORRECTED)
    assert len(changed) == CORRECTED
    second = cli(root, "run")
    assert "loaded batch_004" in second.stdout
    assert f"upstream data changed since {PERSON}_v1 was published" in second.stdout
    assert "`dataprodukt publish --new-version sykefravaer_person` publishes it as version 2" in second.stdout
    assert published_state(root) == published
    report = json.loads(
        (root / "build/storage/sykefravaer/publisering/klargjorte-data" / f"{PERSON}_v1__diff.json").read_text("utf-8")
    )
    assert report["compared_by"] == "key (arbeidsforhold_id, kvartal)" and report["changed"] > 0

    # v2 of it, and of what reads it
    third = cli(root, "publish", "--new-version", "sykefravaer_person")
    for stem in (PERSON, f"sykefravaersprosent_{PERIODS}", f"sykefravaer_{PERIODS}"):
        assert f"published {stem}_v2:" in third.stdout, third.stdout[-3000:]
    assert published_state(root) == published  # v1: files and relations byte for byte

    expected = independent_diff(root)
    rows = expected.pop("_rows")
    changes = json.loads(
        (root / "build/storage/sykefravaer/publisering/klargjorte-data" / f"{PERSON}_v2__changes.json").read_text(
            "utf-8"
        )
    )
    assert changes["rows"] == {"published": rows, "candidate": rows}
    assert changes["changed_columns"] == expected and "tapte_dagsverk" in expected
    assert changes["added"] == changes["removed"] == 0
    record = json.loads(
        (root / "build/storage/sykefravaer/publisering/klargjorte-data" / f"{PERSON}_v2.json").read_text("utf-8")
    )
    worst = max(expected.values())
    assert record["change_note"].startswith(f"Korrigert: {changes['changed']} rader endret i tapte_dagsverk")
    assert changes["changed"] >= worst
    document = json.loads(
        (root / "build/storage/sykefravaer/klargjorte-data" / f"{PERSON}_v2__DOC.json").read_text("utf-8")
    )
    assert document["datadoc"]["dataset"]["version_description"] == [
        {"languageCode": "nb", "languageText": record["change_note"]}
    ]
    latest = root / "build/storage/sykefravaer/klargjorte-data" / f"{PERSON}.parquet"
    assert (
        latest.read_bytes()
        == (root / "build/storage/sykefravaer/klargjorte-data" / f"{PERSON}_v2.parquet").read_bytes()
    )
    # the published readers of v1 read v1 still, pinned, and their new versions read v2
    assert "ref('sykefravaer_person', v=1)" in (root / "models/statistikk/sykefravaersprosent_v1.sql").read_text(
        "utf-8"
    )
    assert "ref('sykefravaer_person')" in (root / "models/statistikk/sykefravaersprosent_v2.sql").read_text("utf-8")

    # a model whose meta asks for it gets its next version from the scheduled run by itself (setting that meta is no
    # data change), and its published readers with it; v1 and v2 stay as they were, and after the new versions the
    # run's publish step finds nothing more to do
    second_published = published_state(root, 2)
    yaml = root / "models" / "klargjorte_data" / "_sykefravaer_person.yml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("        grain:", "        new_version_on_correction: true\n        grain:"), "utf-8")
    assert len(correct_batch(root / "build" / "raw", 5, day=31)) == 5
    fourth = cli(root, "run")
    found, made = fourth.stdout.split("new version: sykefravaer_person v3:", 1)
    assert f"upstream data changed since {PERSON}_v2 was published" in found
    for stem in (PERSON, f"sykefravaersprosent_{PERIODS}", f"sykefravaer_{PERIODS}"):
        assert f"published {stem}_v3:" in made, made[-3000:]
    assert "upstream data changed" not in made
    assert (root / "models" / "klargjorte_data" / "sykefravaer_person_v3.sql").is_file()
    assert published_state(root) == published and published_state(root, 2) == second_published
