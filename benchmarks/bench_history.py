"""Benchmark (not a test): does a history run cost in proportion to the change, not to the history?

Builds a history of ROWS keys with the project's own history settings and macros (check on a last-changed
column, deletions as rows, far-future gyldig_til, the source guard and the PostgreSQL indexes), then changes
1 % of the source rows and runs the history again. Prints both times and their ratio (target: <= 0.2).

Two kinds of source (docs/history.md):
- `--source changes` (the default): the source delivers what changed: first every key as new, then 1 % of the
  keys (0.9 % updated, 0.1 % deleted) and 0.1 % new keys;
- `--source full`: every extract holds every key; the change run's extract has 1 % of the rows updated.

    .venv/bin/python benchmarks/bench_history.py --rows 1000000                  # DuckDB, a file in a temp folder
    .venv/bin/python benchmarks/bench_history.py --rows 1000000 --source full
    PGPASSWORD=... PGDATABASE=bench .venv/bin/python benchmarks/bench_history.py --target postgres --rows 1000000

The times are dbt's own timing of the snapshot node (the SQL work), and the whole `dbt snapshot` command
(which adds dbt's start-up, about 3 s here).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROJECT = """
name: bench
profile: bench
config-version: 2
macro-paths: ["macros"]
snapshot-paths: ["snapshots"]
snapshots:
  bench:
    +schema: historikk
    +hard_deletes: new_record
    +dbt_valid_to_current: "cast('9999-12-31' as timestamp)"
    +snapshot_meta_column_names:
      dbt_valid_from: gyldig_fra
      dbt_valid_to: gyldig_til
      dbt_scd_id: historikk_id
      dbt_updated_at: oppdatert_tidspunkt
      dbt_is_deleted: er_slettet
    +pre-hook: "{{ history_guard() }}"
    +post-hook: "{{ history_indexes() }}"
"""
SOURCES = """
version: 2
sources:
  - name: kilde
    schema: kilde
    tables: [{{name: rader}}]
snapshots:
  - name: hist_bench
    relation: source('kilde', 'rader')
    config:
      unique_key: noekkel
      strategy: check
      check_cols: [endret_tidspunkt]
      meta: {meta}
"""
META = {"full": "{}", "changes": "{history_source: changes, deleted_when: \"endringstype = 'D'\"}"}
PROFILES = {
    "duckdb": (
        "bench:\n  target: duckdb\n  outputs:\n    duckdb: {{type: duckdb, path: '{path}', schema: main, threads: 2}}\n"
    ),
    "postgres": (
        "bench:\n  target: postgres\n  outputs:\n    postgres:\n      type: postgres\n"
        "      host: \"{{{{ env_var('PGHOST', '127.0.0.1') }}}}\"\n"
        "      port: \"{{{{ env_var('PGPORT', '5432') | as_number }}}}\"\n"
        "      user: \"{{{{ env_var('PGUSER', 'dataprodukt') }}}}\"\n"
        "      password: \"{{{{ env_var('PGPASSWORD') }}}}\"\n"
        "      dbname: \"{{{{ env_var('PGDATABASE', 'dataprodukt') }}}}\"\n"
        "      schema: public\n      threads: 2\n"
    ),
}
# one source row per i: the same values on both engines; {extra} adds the change columns
ROW = {
    "duckdb": "'K' || lpad(cast(i as varchar), 10, '0') as noekkel, cast(i as integer) as nr, "
    "cast((i + {bump}) % 97 as integer) as verdi, 'tekst ' || cast(i % 1000 as varchar) as tekst, "
    "timestamp '2025-01-01' + to_seconds(i % 86400) + to_days({bump}) as endret_tidspunkt{extra}",
    "postgres": "'K' || lpad(i::text, 10, '0') as noekkel, i as nr, ((i + {bump}) % 97)::integer as verdi, "
    "'tekst ' || (i % 1000)::text as tekst, "
    "timestamp '2025-01-01' + (i % 86400) * interval '1 second' + {bump} * interval '1 day' as endret_tidspunkt"
    "{extra}",
}
SERIES = {"duckdb": "range({start}, {stop}) as t(i)", "postgres": "generate_series({start}, {stop} - 1) as t(i)"}
REPLACE = {
    "duckdb": "create or replace table kilde.rader as {select}",
    "postgres": "drop table if exists kilde.rader; create table kilde.rader as {select}; analyze kilde.rader",
}
UPDATE = (
    "update kilde.rader set verdi = verdi + 1, endret_tidspunkt = endret_tidspunkt + interval '1 day' "
    "where nr % {step} = 0"
)


def initial_sql(target: str, source: str, rows: int) -> str:
    """The first extract: every key (as new, for a source of changes)."""
    extra = ", 'I' as endringstype" if source == "changes" else ""
    select = f"select {ROW[target].format(bump=0, extra=extra)} from {SERIES[target].format(start=0, stop=rows)}"
    return REPLACE[target].format(select=select)


def change_sql(target: str, source: str, rows: int, changed: float) -> str:
    """The second extract: 1 % of the rows changed (full: updated in place; changes: only what changed)."""
    step = round(1 / changed)
    if source == "full":
        return UPDATE.format(step=step)
    kind = f", case when i % {step * 10} = 0 then 'D' else 'U' end as endringstype"
    touched = (
        f"select {ROW[target].format(bump=1, extra=kind)} from {SERIES[target].format(start=0, stop=rows)} "
        f"where i % {step} = 0"
    )
    inserted = ROW[target].format(bump=0, extra=", 'I' as endringstype")
    new = f"select {inserted} from {SERIES[target].format(start=rows, stop=rows + rows // (step * 10))}"
    return REPLACE[target].format(select=f"{touched} union all {new}")


def execute(target: str, database: Path, sql: str) -> None:
    if target == "duckdb":
        import duckdb

        connection = duckdb.connect(str(database))
        connection.execute("create schema if not exists kilde")
        connection.execute(sql)
        connection.close()
        return
    import psycopg2

    connection = psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("PGUSER", "dataprodukt"),
        password=os.environ["PGPASSWORD"],
        dbname=os.environ.get("PGDATABASE", "dataprodukt"),
    )
    with connection, connection.cursor() as cursor:
        cursor.execute("create schema if not exists kilde")
        cursor.execute(sql)
    connection.close()


def snapshot(folder: Path) -> tuple[float, float, str]:
    """Run `dbt snapshot`; return (snapshot node seconds, command seconds, rows message)."""
    began = time.monotonic()
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "snapshot",
            "--project-dir",
            str(folder),
            "--profiles-dir",
            str(folder),
        ],
        cwd=folder,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - began
    if result.returncode != 0:
        sys.exit(f"dbt snapshot failed:\n{result.stdout[-3000:]}")
    results = json.loads((folder / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    node = next(item for item in results if item["unique_id"].startswith("snapshot."))
    return float(node["execution_time"]), wall, str(node.get("adapter_response", {}).get("_message", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="keys in the source and history (default 10M)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of rows changed (default 0.01)")
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument(
        "--source",
        choices=("changes", "full"),
        default="changes",
        help="what an extract holds: only the changes (default) or every key",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (prints where)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median is reported (default 1)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    runs = [measure(args) for _ in range(args.repeat)]
    initial = [run[0] for run in runs]
    changed = [run[1] for run in runs]
    ratios = [run[1] / run[0] for run in runs]
    print(
        f"target {args.target}, source of {args.source}: history of {args.rows:,} rows, {args.changed:.0%} changed, "
        f"{args.repeat} run(s)"
    )
    print(
        f"  initial build median {statistics.median(initial):8.2f} s  (min {min(initial):.2f}, max {max(initial):.2f})"
    )
    print(
        f"  change run    median {statistics.median(changed):8.2f} s  (min {min(changed):.2f}, max {max(changed):.2f})"
    )
    print(f"  ratio           median {statistics.median(ratios):8.2f}   (target <= 0.20)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        summary = {
            "target": args.target,
            "source": args.source,
            "rows": args.rows,
            "changed_share": args.changed,
            "runs": args.repeat,
            "initial_seconds": {"median": statistics.median(initial), "min": min(initial), "max": max(initial)},
            "change_seconds": {"median": statistics.median(changed), "min": min(changed), "max": max(changed)},
            "ratio": statistics.median(ratios),
        }
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


def measure(args: argparse.Namespace) -> tuple[float, float]:
    """One initial build and one change run in a fresh folder: (initial seconds, change seconds)."""

    folder = Path(tempfile.mkdtemp(prefix="bench_history_"))
    database = folder / "bench.duckdb"
    (folder / "dbt_project.yml").write_text(PROJECT, encoding="utf-8")
    (folder / "profiles.yml").write_text(PROFILES[args.target].format(path=database), encoding="utf-8")
    (folder / "snapshots").mkdir()
    (folder / "snapshots" / "hist_bench.yml").write_text(SOURCES.format(meta=META[args.source]), encoding="utf-8")
    shutil.copytree(ROOT / "macros", folder / "macros")
    try:
        if args.target == "postgres":
            execute(args.target, database, "drop schema if exists historikk cascade")
        execute(args.target, database, initial_sql(args.target, args.source, args.rows))
        initial, initial_wall, _ = snapshot(folder)
        execute(args.target, database, change_sql(args.target, args.source, args.rows, args.changed))
        changed, changed_wall, message = snapshot(folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")
    print(f"  initial build {initial:8.2f} s (dbt snapshot command {initial_wall:.2f} s)", flush=True)
    print(f"  change run    {changed:8.2f} s (dbt snapshot command {changed_wall:.2f} s) {message}", flush=True)
    return initial, changed


if __name__ == "__main__":
    sys.exit(main())
