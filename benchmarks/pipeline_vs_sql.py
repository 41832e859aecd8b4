"""P1 / P5: the full `dbt build` of the example against the same compiled SQL run directly in one process.

The direct run is the floor the engine sets: every node's compiled SQL from dbt's manifest, in dependency order,
materialised the plainest way (create table/view as ...; snapshots with the exact statement dbt ran; tests as
counts), through the engine's Python driver in one process. Unit tests are dbt-only and left out of both sides'
comparison (they run on a handful of fixture rows).

Usage: python benchmarks/pipeline_vs_sql.py --target duckdb --rows 10000000 --repeat 3 --out build/bench/p1.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import copy_project  # noqa: E402

BUILT_SCHEMAS = ("kodeverk", "staging", "historikk", "intermediate", "klargjorte_data", "statistikk", "utdata")


def run_measured(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process, measured by GNU time."""
    timed = ["/usr/bin/time", "-f", "__time__ %e %M", *command]
    result = subprocess.run(timed, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    line = [line for line in result.stderr.splitlines() if line.startswith("__time__")][-1]
    _, seconds, kib = line.split()
    return float(seconds), int(kib) / 1024


def direct_statements(root: Path, target: str) -> list[tuple[str, str]]:
    """(label, sql) for every node of the last `dbt build`, in dependency order."""
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    nodes = {uid: node for uid, node in manifest["nodes"].items() if node["package_name"] == "sykefravaer"}
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for parent in nodes[uid].get("depends_on", {}).get("nodes", []):
            visit(parent)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    statements = []
    for uid in order:
        node = nodes[uid]
        kind, materialized = node["resource_type"], node["config"].get("materialized")
        relation = node.get("relation_name")
        if kind == "seed":
            path = root / node["original_file_path"]
            statements.append(
                (uid, f"create or replace table {relation} as select * from read_csv('{path}', header = true)")
            )
        elif kind == "snapshot":
            # the exact statement dbt ran (the initial build of the history table)
            run_file = next((root / "target" / "run").rglob(f"{node['name']}.sql"))
            statements.append((uid, run_file.read_text()))
            if target == "postgres":
                # the history_indexes post-hook's indexes, which the history tests' lookups use
                keys = node["config"]["unique_key"]
                keys = ", ".join([keys] if isinstance(keys, str) else keys)
                indexes = {
                    "gjeldende": f"{keys}, gyldig_til",
                    "historikk_id": "historikk_id",
                    "gyldig_fra": "gyldig_fra",
                }
                for name, columns in indexes.items():
                    statements.append((uid, f"create index {node['name']}__{name} on {relation} ({columns})"))
        elif kind == "model":
            create = "view" if materialized == "view" else "table"
            statements.append((uid, f"create or replace {create} {relation} as {node['compiled_code']}"))
        elif kind == "test":
            statements.append((uid, f"select count(*) from ({node['compiled_code']}) as failures"))
    return statements


DIRECT_DUCKDB = """
import json, sys, duckdb
statements = json.load(open(sys.argv[1]))
connection = duckdb.connect(sys.argv[2])
for schema in {schemas!r}:
    connection.execute(f"create schema if not exists {{schema}}")
for label, sql in statements:
    connection.execute(sql)
connection.close()
"""

DIRECT_POSTGRES = """
import json, os, sys, psycopg2
statements = json.load(open(sys.argv[1]))
connection = psycopg2.connect(dbname=os.environ["PGDATABASE"])
connection.autocommit = True
cursor = connection.cursor()
for schema in {schemas!r}:
    cursor.execute(f"create schema if not exists {{schema}}")
for label, sql in statements:
    if "read_csv(" in sql:
        continue  # seeds: loaded by dbt seed beforehand on PostgreSQL (tiny code lists); keep them
    if sql.startswith("create or replace table"):
        relation = sql.split()[4]
        cursor.execute(f"drop table if exists {{relation}} cascade")
        sql = sql.replace("create or replace table", "create table", 1)
    cursor.execute(sql)
    words = sql.split()
    if words[:2] == ["create", "table"]:  # models and histories: planner statistics now, not when autovacuum runs
        cursor.execute(f"analyze {{words[2]}}")
connection.close()
"""


def reset(root: Path, target: str, env: dict[str, str]) -> None:
    """Drop everything built from raw, keeping the loaded raw tables."""
    sql = "; ".join(f"drop schema if exists {schema} cascade" for schema in BUILT_SCHEMAS)
    if target == "duckdb":
        import duckdb

        with duckdb.connect(str(root / "build" / "sykefravaer.duckdb")) as connection:
            connection.execute(sql)
    else:
        import psycopg2

        connection = psycopg2.connect(dbname=env["PGDATABASE"])
        connection.autocommit = True
        connection.cursor().execute(sql)
        connection.close()


def measure(target: str, rows: int, repeat: int, workdir: Path) -> dict[str, Any]:
    root = copy_project(workdir / f"p1-{target}")
    env = {**os.environ, "DBT_PROFILES_DIR": str(root / "profiles"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    cli = [sys.executable, "-m", "dataprodukt.cli"]
    # raw data loaded once, not timed: generation and loading are not the pipeline's SQL
    subprocess.run([*cli, "generate", "--rows", str(rows), "--batches", "0"], cwd=root, env=env, check=True)
    subprocess.run([*cli, "load", "--target", target], cwd=root, env=env, check=True, capture_output=True)
    # plain dbt gets the (local development) pseudonymisation key the CLI made, as a user exports it
    env["DATAPRODUKT_PSEUDONYM_KEY"] = (root / "build" / "pseudonym.key").read_text().strip()
    dbt = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--target",
        target,
        "--exclude",
        "resource_type:unit_test",
    ]
    dbt_times, dbt_rss, direct_times, direct_rss = [], [], [], []
    for _ in range(repeat):
        reset(root, target, env)
        seconds, rss = run_measured(dbt, root, env)
        dbt_times.append(seconds)
        dbt_rss.append(rss)
        statements = direct_statements(root, target)
        (root / "build" / "direct.json").write_text(json.dumps(statements))
        reset(root, target, env)
        if target == "postgres":
            subprocess.run(
                [str(Path(sys.executable).parent / "dbt"), "seed", "--target", target],
                cwd=root,
                env=env,
                check=True,
                capture_output=True,
            )
            script = DIRECT_POSTGRES.format(schemas=BUILT_SCHEMAS)
        else:
            script = DIRECT_DUCKDB.format(schemas=BUILT_SCHEMAS)
        probe = [
            sys.executable,
            "-c",
            script,
            str(root / "build" / "direct.json"),
            str(root / "build" / "sykefravaer.duckdb"),
        ]
        seconds, rss = run_measured(probe, root, env)
        direct_times.append(seconds)
        direct_rss.append(rss)
    return {
        "target": target,
        "rows": rows,
        "runs": repeat,
        "dbt_build_seconds": summary(dbt_times),
        "direct_sql_seconds": summary(direct_times),
        "ratio": statistics.median(dbt_times) / statistics.median(direct_times),
        "dbt_peak_rss_mib": max(dbt_rss),
        "direct_peak_rss_mib": max(direct_rss),
        "statements": len(statements),
    }


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", default="duckdb", choices=("duckdb", "postgres"))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default=str(REPO / "build" / "bench"))
    parser.add_argument("--out")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    shutil.rmtree(workdir / f"p1-{args.target}", ignore_errors=True)
    result = measure(args.target, args.rows, args.repeat, workdir)
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
