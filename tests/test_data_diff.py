"""The data diff before publishing, on DuckDB and PostgreSQL: by key where the grain is declared, by whole rows
otherwise, schema differences, a difference too large to show, and a published version altered outside the tool."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from dataprodukt.core.errors import UserError
from dataprodukt.core.storage import Storage
from dataprodukt.core.warehouse import DuckDBWarehouse, Warehouse
from dataprodukt.core.warehouse.compare import EXAMPLES, compare_tables, relation_checksum
from dataprodukt.publish import data_diff, files
from dataprodukt.publish.register import Record
from dataprodukt.rules.identity import Dataset
from tests.support import postgres

PUBLISHED = """
create table s.pub as select * from (values
    ('A', '2024-Q1', 10.5, 'x'), ('A', '2024-Q2', 11.0, 'y'), ('B', '2024-Q1', 3.0, null), ('C', '2024-Q1', 1.0, 'z')
) as v(id, kvartal, dagsverk, merke)
"""
CANDIDATE = """
create table s.kandidat as select * from (values
    ('A', '2024-Q1', 12.5, 'x'), ('A', '2024-Q2', 11.0, 'y'), ('B', '2024-Q1', 3.0, 'ny'), ('D', '2024-Q1', 7.0, 'w')
) as v(id, kvartal, dagsverk, merke)
"""


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "postgres":
        found = postgres.warehouse(request.getfixturevalue("pg_env"))
    else:
        found = DuckDBWarehouse(tmp_path / "w.duckdb")
    found.execute("create schema s")
    found.execute(PUBLISHED)
    found.execute(CANDIDATE)
    yield found
    found.close()


def test_by_key_counts_rows_added_removed_and_changed_per_column(warehouse: Warehouse) -> None:
    diff = compare_tables(warehouse, ("s", "pub"), ("s", "kandidat"), ["id", "kvartal"])
    assert diff.key == ["id", "kvartal"]
    assert (diff.published_rows, diff.candidate_rows) == (4, 4)
    assert (diff.added, diff.removed, diff.changed) == (1, 1, 2)
    assert diff.changed_columns == {"dagsverk": 1, "merke": 1}
    assert not diff.schema_changed and not diff.identical
    assert [row["id"] for row in diff.examples["added"]] == ["D"]
    assert [row["id"] for row in diff.examples["removed"]] == ["C"]
    changed = {row["id"]: row for row in diff.examples["changed"]}
    assert changed["B"]["merke"] == {"published": None, "candidate": "ny"}
    assert set(changed["A"]) == {"id", "kvartal", "dagsverk"}  # only the columns that changed, with the key
    note = data_diff.change_note(diff, 1)
    assert note == "Korrigert: 2 rader endret i dagsverk, merke; 1 rad lagt til; 1 rad fjernet (sammenlignet med v1)."


def test_without_grain_rows_are_compared_whole_and_the_report_says_so(warehouse: Warehouse) -> None:
    diff = compare_tables(warehouse, ("s", "pub"), ("s", "kandidat"), [])
    assert diff.key == []
    # a changed row is one removed and one added
    assert (diff.added, diff.removed, diff.changed) == (3, 3, 0)
    report = data_diff.report(diff, "pub_v1", "today's data", key_declared=False)
    assert report["compared_by"] == "whole rows"
    assert "declares no grain" in report["note"]
    assert "by whole rows (no grain declared)" in data_diff.summary(diff)


def test_identical_data_and_schema_differences(warehouse: Warehouse) -> None:
    warehouse.execute("create table s.kopi as select * from s.pub order by id desc")
    same = compare_tables(warehouse, ("s", "pub"), ("s", "kopi"), ["id", "kvartal"])
    assert same.identical and same.examples == {}
    assert same.published_checksum == relation_checksum(warehouse, "s", "pub")
    warehouse.execute(
        "create table s.ny as select id, kvartal, cast(dagsverk as varchar(20)) as dagsverk, 1 as ekstra from s.pub"
    )
    other = compare_tables(warehouse, ("s", "pub"), ("s", "ny"), ["id", "kvartal"])
    assert [name for name, _kind in other.added_columns] == ["ekstra"]
    assert [name for name, _kind in other.removed_columns] == ["merke"]
    assert [name for name, _old, _new in other.type_changes] == ["dagsverk"]
    assert not other.identical and other.published_checksum is None


def test_a_difference_too_large_to_show_gives_counts_and_the_first_examples(warehouse: Warehouse) -> None:
    warehouse.execute(
        "create table s.stor as select i, i * 2 as verdi from (select * from generate_series(1, 3000)) as g(i)"
    )
    warehouse.execute(
        "create table s.stor2 as select i, case when i % 3 = 0 then i * 3 else i * 2 end as verdi from s.stor"
    )
    diff = compare_tables(warehouse, ("s", "stor"), ("s", "stor2"), ["i"])
    assert (diff.changed, diff.changed_columns) == (1000, {"verdi": 1000})
    assert len(diff.examples["changed"]) == EXAMPLES
    assert [row["i"] for row in diff.examples["changed"]] == [3, 6, 9, 12, 15]  # the first, by key
    report = data_diff.report(diff, "stor_v1", "today's data", key_declared=True)
    assert report["examples_shown"] == {"changed": EXAMPLES} and report["changed"] == 1000


def _published(tmp_path: Path, warehouse: Warehouse) -> tuple[Dataset, Record, Storage]:
    storage = Storage(str(tmp_path / "storage"))
    node: dict[str, Any] = {"schema": "s", "alias": "pub", "name": "pub", "meta": {"grain": ["id", "kvartal"]}}
    dataset = Dataset("model.p.pub.v1", "pub", 1, 1, "statistikk", "p", "pub_p2024_v1", "pub", "2024", None, node)
    content = files.read_relation(warehouse, "s", "pub")
    files.write_versioned(storage, dataset.storage_path, content, None)
    record = Record(
        *("pub_p2024_v1", "pub", 1, "p", "STATISTICS", "2024", "", "s", "pub", str(dataset.storage_path)),
        *(content.row_count, content.checksum, "f" * 64, "m" * 32, None, "2026-01-01T00:00:00"),
        relation_checksum=relation_checksum(warehouse, "s", "pub") or "",
        file_checksum=data_diff.file_checksum(storage, dataset),
    )
    return dataset, record, storage


def test_a_published_version_altered_outside_the_tool_is_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    dataset, record, storage = _published(tmp_path, warehouse)
    data_diff.check_files(storage, dataset, record)
    data_diff.require_relation(warehouse, dataset, record)
    data_diff.check_relation(warehouse, dataset, record, relation_checksum(warehouse, "s", "pub"))
    # the relation changed in the warehouse
    warehouse.execute("update s.pub set dagsverk = 99 where id = 'C'")
    with pytest.raises(UserError, match=rf"relation s\.pub of pub_p2024_v1 was altered .* {record.relation_checksum}"):
        data_diff.check_relation(warehouse, dataset, record, relation_checksum(warehouse, "s", "pub"))
    # a checksum made by another engine release: the content checksum decides
    other = replace(record, relation_checksum="duckdb-0.0.1:4:1")
    with pytest.raises(UserError, match="was altered outside dataprodukt"):
        data_diff.check_relation(warehouse, dataset, other, relation_checksum(warehouse, "s", "pub"))
    # the file changed, then went missing
    path = tmp_path / "storage" / str(dataset.storage_path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(
        UserError, match=rf"file .*pub_p2024_v1\.parquet of pub_p2024_v1 was altered .* {record.file_checksum}"
    ):
        data_diff.check_files(storage, dataset, record)
    path.unlink()
    with pytest.raises(
        UserError, match=rf"pub_p2024_v1\.parquet of pub_p2024_v1 is missing \(recorded sha256 {record.file_checksum}"
    ):
        data_diff.check_files(storage, dataset, record)
    warehouse.execute("drop table s.pub")
    with pytest.raises(UserError, match=r"relation s\.pub of pub_p2024_v1 is missing \(recorded checksum"):
        data_diff.require_relation(warehouse, dataset, record)


def test_partitioned_files_are_checked_file_by_file(warehouse: Warehouse, tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "storage"))
    node: dict[str, Any] = {"schema": "s", "alias": "pub", "name": "pub", "meta": {"storage_partition_by": "kvartal"}}
    dataset = Dataset("model.p.pub.v1", "pub", 1, 1, "statistikk", "p", "pub_p2024_v1", "pub", "2024", None, node)
    files.write_versioned(storage, dataset.storage_path, files.read_relation(warehouse, "s", "pub"), "kvartal")
    before = data_diff.file_checksum(storage, dataset)
    part = tmp_path / "storage" / str(PurePosixPath(dataset.storage_path, "kvartal=2024-Q2", "data.parquet"))
    part.write_bytes(part.read_bytes() + b"\0")
    assert data_diff.file_checksum(storage, dataset) != before
