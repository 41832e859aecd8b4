"""Benchmark of version decisions: classifying every change to the example's published versions, and the data diff
of two 10 M-row versions on DuckDB against one scan of both tables.

Classification: the example is compiled once (not timed) and its publication manifest kept as the publish step
keeps it; then, timed, what `dataprodukt check` and the publish step do after their dbt compile: read that
manifest, put every model, seed and snapshot of the compiled project in normal form, and classify every published
version, against a compile with a comment, a renamed CTE and a filter added to published models.
Goal: under 1 s.

Data diff: two tables shaped like sykefravaer_person (10 columns, key arbeidsforhold_id + kvartal), the candidate
with 12 rows changed. "One scan of both tables" reads every value of both once (count and the sum of a hash of
each row: what cannot be answered from DuckDB's statistics). The diff is `compare_tables` by key, and the same
tables identical. Goal: the diff within 3x of the scan.

    .venv/bin/python benchmarks/bench_versions.py [--rows 10000000] [--repeat 3] [--out build/bench/versions.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import clean_env, copy_project  # noqa: E402

from dataprodukt.core.warehouse import DuckDBWarehouse  # noqa: E402
from dataprodukt.core.warehouse.compare import compare_tables  # noqa: E402
from dataprodukt.publish.basis import basis_from_manifest, publication_manifest  # noqa: E402
from dataprodukt.publish.changes import classify  # noqa: E402
from dataprodukt.publish.fingerprints import node_codes  # noqa: E402
from dataprodukt.rules.identity import published_datasets  # noqa: E402
from dataprodukt.rules.normalised_sql import dialect_of  # noqa: E402

WHERE = REPO / "build" / "bench" / "versions"
KEY = ["arbeidsforhold_id", "kvartal"]


def compiled_example() -> dict[str, Any]:
    """The example compiled on DuckDB in a copy of the project (dbt compile, no build)."""
    root = WHERE / "project"
    shutil.rmtree(root, ignore_errors=True)
    copy_project(root)
    (root / "build").mkdir(exist_ok=True)
    env = {**clean_env(), "DBT_PROFILES_DIR": "profiles", "DATAPRODUKT_PSEUDONYM_KEY": "benchmark-key-" + "0" * 32}
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run([str(dbt), "compile", "--quiet", "--target", "duckdb"], cwd=root, env=env, check=True)
    manifest: dict[str, Any] = json.loads((root / "target" / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def edited(manifest: dict[str, Any]) -> dict[str, Any]:
    """The same manifest with a comment and a renamed CTE in one published model and a filter in another."""
    changed = json.loads(json.dumps(manifest))
    for node in changed["nodes"].values():
        sql = node.get("compiled_code") or ""
        if node.get("name") == "sykefravaersprosent":
            node["compiled_code"] = "-- reformatted\n" + sql.replace("per_celle", "celler")
            node["raw_code"] = "-- reformatted\n" + node["raw_code"].replace("per_celle", "celler")
        if node.get("name") == "sykefravaer":
            node["compiled_code"] = sql.replace("select * from offentlig", "select * from offentlig where true")
    return changed


def classification(manifest: dict[str, Any], now: dict[str, Any], cold: bool) -> tuple[float, dict[str, str]]:
    published = {dataset.unique_id: (dataset.stem, "") for dataset in published_datasets(manifest) if dataset.is_stable}
    stored = json.dumps(publication_manifest(manifest, node_codes(manifest), published))
    started = time.perf_counter()
    basis = basis_from_manifest(json.loads(stored), "stored")
    # cold: every node put in normal form; warm (as the check and the publish step do): only the changed ones
    decisions = classify(basis.published, basis.codes, node_codes(now, None if cold else basis.codes), dialect_of(now))
    seconds = time.perf_counter() - started
    return seconds, {decision.dataset: decision.verdict for decision in decisions}


def make_tables(warehouse: DuckDBWarehouse, rows: int) -> None:
    warehouse.execute(
        f"""create or replace table publisert as select
            'AF' || lpad(cast(i // 4 as varchar), 9, '0') as arbeidsforhold_id,
            sha256(cast(i // 8 as varchar)) as person_pseudonym,
            cast(800000000 + i % 40000 as varchar) as organisasjonsnummer,
            '2024-Q' || cast(1 + i % 4 as varchar) as kvartal,
            chr(cast(65 + i % 21 as integer)) as naering_hovedomraade,
            lpad(cast(i % 15 as varchar), 2, '0') as fylkesnummer,
            cast(i % 100 as decimal(28, 6)) as stillingsprosent,
            cast(i % 65 as decimal(28, 6)) as avtalte_dagsverk,
            cast(i % 13 as decimal(28, 6)) as tapte_dagsverk,
            cast(i % 3 as bigint) as antall_sykmeldinger
        from range({rows}) as r(i)"""
    )
    warehouse.execute("create or replace table kandidat as select * from publisert")
    warehouse.execute(
        "update kandidat set tapte_dagsverk = tapte_dagsverk + 1 where kvartal = '2024-Q2' and arbeidsforhold_id in "
        "(select arbeidsforhold_id from publisert where kvartal = '2024-Q2' order by hash(arbeidsforhold_id) limit 12)"
    )
    warehouse.execute("checkpoint")


def scan_both(warehouse: DuckDBWarehouse) -> float:
    columns = [warehouse.quote(name) for name, _ in warehouse.relation_columns("main", "publisert")]
    started = time.perf_counter()
    for table in ("publisert", "kandidat"):
        warehouse.query(f"select count(*), {warehouse.hash_total(warehouse.row_hash(columns))} from {table}")
    return time.perf_counter() - started


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench" / "versions.json")
    args = parser.parse_args()
    WHERE.mkdir(parents=True, exist_ok=True)

    manifest = compiled_example()
    now = edited(manifest)
    classification(manifest, now, cold=True)  # sqlglot loads its dialect and generator on first use: not timed
    runs = [classification(manifest, now, cold=False) for _ in range(args.repeat)]
    cold = [classification(manifest, now, cold=True) for _ in range(args.repeat)]
    verdicts = runs[0][1]
    assert cold[0][1] == verdicts

    database = WHERE / "diff.duckdb"
    database.unlink(missing_ok=True)
    warehouse = DuckDBWarehouse(database)
    try:
        make_tables(warehouse, args.rows)
        scans, diffs, same = [], [], []
        for _ in range(args.repeat):
            scans.append(scan_both(warehouse))
            seconds, diff = timed(lambda: compare_tables(warehouse, ("main", "publisert"), ("main", "kandidat"), KEY))
            diffs.append(seconds)
            assert (diff.changed, diff.changed_columns) == (12, {"tapte_dagsverk": 12}), diff
            seconds, identical = timed(
                lambda: compare_tables(warehouse, ("main", "publisert"), ("main", "publisert"), KEY)
            )
            same.append(seconds)
            assert identical.identical
    finally:
        warehouse.close()
        database.unlink(missing_ok=True)

    scan = statistics.median(scans)
    results = {
        "classification_seconds": summary([seconds for seconds, _ in runs]),
        "classification_cold_seconds": summary([seconds for seconds, _ in cold]),
        "classification_goal_seconds": 1.0,
        "verdicts": verdicts,
        "rows": args.rows,
        "scan_both_seconds": summary(scans),
        "diff_seconds": summary(diffs),
        "diff_identical_seconds": summary(same),
        "diff_ratio": statistics.median(diffs) / scan,
        "diff_identical_ratio": statistics.median(same) / scan,
        "diff_ratio_goal": 3.0,
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    warm, cold_median = results["classification_seconds"]["median"], results["classification_cold_seconds"]["median"]
    print(
        f"classification of the example (every published version): {warm:.3f} s; every node put in normal form "
        f"anew: {cold_median:.3f} s (goal < 1 s)"
    )
    print(f"verdicts: {verdicts}")
    print(f"one scan of both {args.rows:,}-row tables: {scan:.2f} s")
    print(
        f"data diff, 12 rows changed: {statistics.median(diffs):.2f} s, ratio {results['diff_ratio']:.2f} (goal <= 3)"
    )
    print(f"data diff, identical: {statistics.median(same):.2f} s, ratio {results['diff_identical_ratio']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
