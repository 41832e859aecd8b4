"""Publication rules that need no warehouse: fingerprints over upstream code, which version is the latest."""

from __future__ import annotations

import copy
from typing import Any

from dataprodukt.datasets import Dataset
from dataprodukt.publish import _latest_target
from dataprodukt.register import Record, code_fingerprint, sql_fingerprint


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
    return Dataset(f"model.p.pub.v{version}", "pub", version, latest, "statistikk", "p", "pub", "2024", None, node)


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
