"""Publication rules tested in-process: fingerprints over upstream code, which version is the latest, content
checksums, partitioned export, and upstream data changes (a DuckDB file, no dbt build)."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from dataprodukt.core.storage import AlreadyStored, Storage
from dataprodukt.core.warehouse import DuckDBWarehouse
from dataprodukt.publish import files as export
from dataprodukt.publish.fingerprints import code_fingerprint, sql_fingerprint
from dataprodukt.publish.latest import latest_target as _latest_target
from dataprodukt.publish.publication import compare_with_today
from dataprodukt.publish.register import Record
from dataprodukt.rules.identity import Dataset
from dataprodukt.rules.naming_standard import validate_path


def manifest() -> dict[str, Any]:
    def model(name: str, sql: str, parents: list[str]) -> dict[str, Any]:
        return {
            "resource_type": "model",
            "compiled_code": sql,
            "columns": {"a": {"data_type": "varchar"}},
            "depends_on": {"nodes": parents},
        }

    return {
        "nodes": {
            "seed.p.koder": {"resource_type": "seed", "checksum": {"checksum": "abc"}, "depends_on": {"nodes": []}},
            "model.p.int_a": model("int_a", "select 1 as a", ["seed.p.koder"]),
            "model.p.pub.v1": model("pub", "select a from int_a", ["model.p.int_a"]),
        }
    }


def test_code_fingerprint_follows_upstream_code() -> None:
    base = manifest()
    fingerprint = code_fingerprint(base, "model.p.pub.v1")
    assert fingerprint == code_fingerprint(copy.deepcopy(base), "model.p.pub.v1")  # deterministic
    upstream = copy.deepcopy(base)
    upstream["nodes"]["model.p.int_a"]["compiled_code"] = "select 2 as a"
    assert code_fingerprint(upstream, "model.p.pub.v1") != fingerprint
    seed = copy.deepcopy(base)
    seed["nodes"]["seed.p.koder"]["checksum"]["checksum"] = "changed code list"
    assert code_fingerprint(seed, "model.p.pub.v1") != fingerprint
    # the model's own sql fingerprint sees only its own code and columns
    assert sql_fingerprint(upstream["nodes"]["model.p.pub.v1"]) == sql_fingerprint(base["nodes"]["model.p.pub.v1"])
    columns = copy.deepcopy(base)
    columns["nodes"]["model.p.pub.v1"]["columns"]["a"]["data_type"] = "integer"
    assert sql_fingerprint(columns["nodes"]["model.p.pub.v1"]) != sql_fingerprint(base["nodes"]["model.p.pub.v1"])


def dataset(version: int, latest: int | None) -> Dataset:
    node = {"schema": "p_statistikk", "alias": f"pub_p2024_v{version}", "name": "pub"}
    stem = f"pub_p2024_v{version}"
    parts = ("statistikk", "p", stem, "pub", "2024", None, node)
    return Dataset(f"model.p.pub.v{version}", "pub", version, latest, *parts)


def record(version: int) -> Record:
    return Record(
        *(f"pub_p2024_v{version}", "pub", version, "p", "STATISTICS", "2024", "", "p_statistikk"),
        *(f"pub_p2024_v{version}", "", 1, "", "", "", "", ""),
    )


def test_latest_is_the_newest_published_stable_version() -> None:
    versions = [dataset(0, 2), dataset(1, 2), dataset(2, 2), dataset(3, 2)]
    published = {("p_statistikk", f"pub_p2024_v{n}"): record(n) for n in (1, 2, 3)}
    # v3 is above latest_version (a prerelease): the alias stays at v2
    assert _latest_target(versions, published).version == 2  # type: ignore[union-attr]
    # only v1 published: v1, never the unpublished v2
    assert _latest_target(versions, {("p_statistikk", "pub_p2024_v1"): record(1)}).version == 1  # type: ignore[union-attr]


def test_v0_is_latest_only_while_nothing_stable_is_published() -> None:
    versions = [dataset(0, 1), dataset(1, 1)]
    assert _latest_target(versions, {}).version == 0  # type: ignore[union-attr]
    published = {("p_statistikk", "pub_p2024_v1"): record(1)}
    assert _latest_target(versions, published).version == 1  # type: ignore[union-attr]


def test_content_checksum_ignores_row_order_but_not_values(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        warehouse.execute(
            "create table t as select * from (values (1, 'a', 1.50::decimal(5,2)), (2, 'b', null)) v(i, s, d)"
        )
        forward = export.read_query(warehouse, "select * from t order by i")
        backward = export.read_query(warehouse, "select * from t order by i desc")
        assert forward.checksum == backward.checksum and forward.row_count == 2
        warehouse.execute("update t set s = 'c' where i = 2")
        assert export.read_query(warehouse, "select * from t").checksum != forward.checksum
    finally:
        warehouse.close()


def test_partitioned_export_writes_hive_folders_once(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        warehouse.execute("create table t as select * from (values (2018, 'a'), (2019, 'b'), (2019, 'c')) v(aar, s)")
        content = export.read_relation(warehouse, "main", "t")
    finally:
        warehouse.close()
    storage = Storage(str(tmp_path / "storage"))
    path = PurePosixPath("ledstill/inndata/skjema_p2018_p2019_v1")
    written = export.write_versioned(storage, path, content, "aar")
    assert written == [f"{path}/aar=2018/data.parquet", f"{path}/aar=2019/data.parquet"]
    assert all(validate_path(file) == [] for file in written)
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "storage" / written[1]).column("s").to_pylist() == ["b", "c"]
    with pytest.raises(AlreadyStored):
        export.write_versioned(storage, path, content, "aar")


def test_upstream_data_change_is_reported_not_republished(tmp_path: Path) -> None:
    # the note now comes from the data diff (a candidate built from today's data, compared by whole rows here, as
    # the model declares no grain), and names the command that makes the next version
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    storage = Storage(str(tmp_path / "storage"))
    try:
        warehouse.execute("create table kilde as select * from (values (1), (2)) v(i)")
        warehouse.execute("create table pub_p2024_v1 as select i from kilde")
        published = export.read_query(warehouse, "select i from kilde")
        node = {
            "schema": "main",
            "alias": "pub_p2024_v1",
            "name": "pub",
            "compiled_code": "select i from kilde",
            "relation_name": '"w"."main"."pub_p2024_v1"',
        }
        data = Dataset("model.p.pub.v1", "pub", 1, 1, "statistikk", "p", "pub_p2024_v1", "pub", "2024", None, node)
        entry = replace(record(1), row_count=published.row_count, content_checksum=published.checksum)
        candidates: dict[str, Any] = {}
        assert compare_with_today(warehouse, storage, data, entry, candidates) is None
        assert candidates == {}
        warehouse.execute("insert into kilde values (3)")
        note = compare_with_today(warehouse, storage, data, entry, candidates)
        assert note is not None
        assert note.startswith(
            "upstream data changed since pub_p2024_v1 was published (2 rows then, 3 now): it stays as published; "
            "1 row(s) added (by whole rows (no grain declared))"
        )
        assert note.endswith("`dataprodukt publish --new-version pub` publishes it as version 2")
        assert warehouse.query("select count(*) from pub_p2024_v1") == [(2,)]  # never republished
    finally:
        warehouse.close()
