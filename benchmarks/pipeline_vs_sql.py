"""P1 / P5: the full `dbt build` of the example against an independent floor, the same job written by hand.

The floor (benchmarks/floor/) builds the same outputs from the same raw tables in one process: the three
histories, the three published tables (same rows and values, same HMAC-SHA-256 pseudonyms, same suppression), and
the same checks as the project's data tests. After the last pair of runs the floor's tables are compared with dbt's,
EXCEPT ALL both ways (histories without the run clock's columns), a sample of pseudonyms is recomputed with Python's
hmac, and (DuckDB) the floor's suppression is run against dbt's compiled SQL of the open table on random tables,
since the example has no small cells at benchmark sizes; a difference stops the benchmark.

Each run starts from the same state: only the raw tables loaded (DuckDB: a copy of one raw-only file; PostgreSQL:
every other schema dropped). dbt and the floor run back to back, in turns, each in its own process measured by GNU
time (wall seconds, peak RSS, CPU seconds); the load average is recorded before each run, since on a shared machine
the absolute times move with it. Unit tests are dbt-only and left out (a handful of fixture rows).

The virtualenv is warm (bytecode written by the untimed loading step), as on a user's second run.

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

from tests.conftest import PROJECT_FILES, copy_project  # noqa: E402

FLOOR = REPO / "benchmarks" / "floor"  # a package: python benchmarks/floor
# PostgreSQL: the schemas a run starts without (everything but the raw tables)
# the raw tables and the pseudonymisation key table (`dataprodukt key`), loaded once and kept between runs
KEEP_SCHEMAS = ("raw", "pseudonymisering", "public", "information_schema")


def run_measured(command: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system) of one child process, by GNU time."""
    load = os.getloadavg()[0]
    timed = ["/usr/bin/time", "-f", "__time__ %e %M %U %S", *command]
    result = subprocess.run(timed, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    line = [line for line in result.stderr.splitlines() if line.startswith("__time__")][-1]
    _, seconds, kib, user, system = line.split()
    return {
        "seconds": float(seconds),
        "rss_mib": int(kib) / 1024,
        "cpu_seconds": float(user) + float(system),
        "load_before": load,
    }


def raw_only_copy(database: Path, copy: Path, schemas: tuple[str, ...] = ("raw", "pseudonymisering")) -> None:
    """A DuckDB file holding only the raw tables and the key table of `database`, written table by table (compact,
    as loaded)."""
    import duckdb

    copy.unlink(missing_ok=True)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(f"attach '{database}' as loaded (read_only)")
        for schema in schemas:
            connection.execute(f'create schema "{copy.stem}".{schema}')
            tables = connection.execute(
                "select table_name from information_schema.tables where table_catalog = 'loaded' and table_schema = ?",
                [schema],
            ).fetchall()
            for (table,) in tables:
                relation = f"{schema}.{table}"
                connection.execute(f'create table "{copy.stem}".{relation} as select * from loaded.{relation}')


def postgres_reset(env: dict[str, str], keep: tuple[str, ...] = KEEP_SCHEMAS) -> None:
    """Drop every schema but the raw tables' (dbt's and the floor's outputs, histories included)."""
    import psycopg2

    connection = psycopg2.connect(dbname=env["PGDATABASE"])
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute(
        "select nspname from pg_namespace where nspname not like 'pg\\_%%' and nspname <> all(%s)",
        (list(keep),),
    )
    for (schema,) in cursor.fetchall():
        cursor.execute(f'drop schema "{schema}" cascade')
    connection.close()


def node_times(root: Path) -> dict[str, float]:
    """Seconds per node of the last dbt invocation (run_results.json), by node name."""
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    return {result["unique_id"].split(".", 2)[-1]: round(result["execution_time"], 2) for result in results}


def measure(target: str, rows: int, repeat: int, workdir: Path, reuse: bool = False) -> dict[str, Any]:
    root = workdir / f"p1-{target}"
    loaded = root / "build" / "loaded.json"
    reuse = reuse and loaded.is_file() and json.loads(loaded.read_text()) == {"rows": rows, "target": target}
    if not reuse:
        shutil.rmtree(root, ignore_errors=True)
    for name in PROJECT_FILES:  # the project as it is now; the data as loaded
        if (root / name).is_dir():
            shutil.rmtree(root / name)
        else:
            (root / name).unlink(missing_ok=True)
    shutil.rmtree(root / "target", ignore_errors=True)  # dbt's partial parse of an earlier copy can be stale
    copy_project(root)
    env = {**os.environ, "DBT_PROFILES_DIR": str(root / "profiles"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the untimed steps below leave the virtualenv warm
    cli = [sys.executable, "-m", "dataprodukt.cli"]
    if not reuse:
        if target == "postgres":
            postgres_reset(env, keep=("public", "information_schema"))  # raw data of an earlier run too
        # raw data loaded once, not timed: generation and loading are not the pipeline
        subprocess.run([*cli, "generate", "--rows", str(rows), "--batches", "0"], cwd=root, env=env, check=True)
        subprocess.run([*cli, "load", "--target", target], cwd=root, env=env, check=True, capture_output=True)
        # plain dbt reads the pseudonymisation key from its table (docs/privacy.md); the CLI makes the local key
        subprocess.run([*cli, "key", "--target", target], cwd=root, env=env, check=True, capture_output=True)
        if target == "duckdb":
            raw_only_copy(root / "build" / "sykefravaer.duckdb", root / "build" / "raw.duckdb")
        loaded.write_text(json.dumps({"rows": rows, "target": target}))
    # plain dbt gets the (local development) pseudonymisation key the CLI made, as a user exports it; so does the floor
    env["DATAPRODUKT_PSEUDONYM_KEY"] = (root / "build" / "pseudonym.key").read_text().strip()
    database = root / "build" / "sykefravaer.duckdb"
    raw, floor_database = root / "build" / "raw.duckdb", root / "build" / "gulv.duckdb"
    dbt = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--target",
        target,
        "--exclude",
        "resource_type:unit_test",
    ]
    floor = [sys.executable, str(FLOOR), "--target", target, "--project", str(root)]
    if target == "duckdb":
        floor += ["--database", str(floor_database)]
    timings = root / "build" / "floor-timings.json"

    runs: list[dict[str, Any]] = []
    for number in range(repeat):
        if target == "postgres":
            postgres_reset(env)  # the floor writes beside dbt's tables, in schemas of its own (gulv_*)
        # in turns, so that neither side always runs on the machine the other one just warmed
        run: dict[str, Any] = {}
        for side in ("dbt", "floor") if number % 2 == 0 else ("floor", "dbt"):
            if side == "dbt":
                if target == "duckdb":
                    shutil.copyfile(raw, database)
                run["dbt"] = run_measured(dbt, root, env)
                run["dbt_nodes"] = node_times(root)
            else:
                if target == "duckdb":
                    shutil.copyfile(raw, floor_database)
                run["floor"] = run_measured([*floor, "--timings", str(timings)], root, env)
                run["floor_steps"] = json.loads(timings.read_text())
        runs.append(run)
        print(json.dumps({side: run[side] for side in ("dbt", "floor")}), flush=True)
    # equal outputs, or no figure: EXCEPT ALL both ways, pseudonyms checked against Python's hmac. Once, on the last
    # pair's tables: every run builds the same tables from the same raw copy, and at 10 M rows the comparison
    # takes as long as a build
    against = ["--verify-against", str(database) if target == "duckdb" else "dbt"]
    check = subprocess.run([*floor, *against], cwd=root, env=env, capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise SystemExit(f"the floor's outputs differ from dbt's:\n{check.stdout[-3000:]}\n{check.stderr[-3000:]}")
    return summarise(target, rows, runs, json.loads(check.stdout.splitlines()[-1]))


def summarise(target: str, rows: int, runs: list[dict[str, Any]], equal: dict[str, Any]) -> dict[str, Any]:
    def spread(side: str, key: str) -> dict[str, float]:
        values = [run[side][key] for run in runs]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    def medians(key: str) -> dict[str, float]:
        names = list(dict.fromkeys(name for run in runs for name in run[key]))
        found = {name: statistics.median(run[key].get(name, 0.0) for run in runs) for name in names}
        return dict(sorted(found.items(), key=lambda item: -item[1]))

    dbt, floor = spread("dbt", "seconds"), spread("floor", "seconds")
    return {
        "target": target,
        "rows": rows,
        "runs": len(runs),
        "dbt_build_seconds": dbt,
        "floor_seconds": floor,
        "ratio": dbt["median"] / floor["median"],
        "ratio_per_run": [run["dbt"]["seconds"] / run["floor"]["seconds"] for run in runs],
        "dbt_peak_rss_mib": spread("dbt", "rss_mib"),
        "floor_peak_rss_mib": spread("floor", "rss_mib"),
        "rss_ratio": spread("dbt", "rss_mib")["median"] / spread("floor", "rss_mib")["median"],
        "dbt_cpu_seconds": spread("dbt", "cpu_seconds"),
        "floor_cpu_seconds": spread("floor", "cpu_seconds"),
        "load_average_before": [[run[side]["load_before"] for side in ("dbt", "floor")] for run in runs],
        "equal": equal,
        "dbt_node_seconds": medians("dbt_nodes"),
        "floor_step_seconds": medians("floor_steps"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="duckdb", choices=("duckdb", "postgres"))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default=str(REPO / "build" / "bench"))
    parser.add_argument("--out")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the raw data loaded by an earlier run of the same size and target"
    )
    args = parser.parse_args()
    result = measure(args.target, args.rows, args.repeat, Path(args.workdir), args.reuse)
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
