"""Benchmark (not a test): an archive of dated full extracts recorded in one pass, against one history run each.

Makes a small data product (one raw source, its staging model and its history, with the project's own macros and
history settings) and an archive of DELIVERIES monthly full extracts of ROWS rows each (1 % of the rows change per
delivery: 0.8 % updated, 0.1 % deleted, 0.1 % new keys). Then, in two copies of the product:

- `dataprodukt load --from ARCHIVE`: the archive path (the first delivery one history run, the rest in one pass);
- `dataprodukt load --from ARCHIVE --one-by-one`: one history run per delivery.

Prints both times (the whole command, dbt's start-up and parse included) and their ratio (goal >= 5), and checks
that the two histories hold identical rows (every column, times and ids included). Also prints the time DuckDB
takes to parse every extract once in one statement, writing nothing: no path can take less, so the one-by-one time
over it bounds the ratio any archive path can reach (before dbt's start-up, which every path pays as well).

    .venv/bin/python benchmarks/bench_deliveries.py                                  # 24 x 1,000,000 rows
    .venv/bin/python benchmarks/bench_deliveries.py --rows 100000 --deliveries 6     # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
model-paths: ["models"]
macro-paths: ["macros"]
snapshot-paths: ["snapshots"]
vars:
  product: bench
  storage_root: build/storage
models:
  bench:
    +materialized: view
    +schema: staging
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
on-run-end:
  - "{{ log_history_row_counts() }}"
"""
PROFILES = (
    "bench:\n  target: duckdb\n  outputs:\n"
    "    duckdb: {type: duckdb, path: build/bench.duckdb, schema: main, threads: 2}\n"
)
SOURCES = """
version: 2
sources:
  - name: kilde
    schema: raw
    meta:
      loader: {kind: files, folder: extracts}
    tables:
      - name: rader
        columns: [{name: NOEKKEL}, {name: NR}, {name: VERDI}, {name: TEKST}, {name: ENDRET_TID}]
"""
STAGING = """
with source as (select * from {{ source('kilde', 'rader') }})
select
    noekkel as noekkel,
    cast(nr as integer) as nr,
    cast(verdi as integer) as verdi,
    tekst as tekst,
    cast(endret_tid as timestamp) as endret_tidspunkt
from source
"""
SNAPSHOT = """
version: 2
snapshots:
  - name: hist_kilde__rader
    relation: ref('stg_kilde__rader')
    config:
      unique_key: noekkel
      strategy: check
      check_cols: [endret_tidspunkt]
"""
# delivery d holds keys d*new .. rows + d*new (0.1 % deleted and 0.1 % new per delivery); key i changes at delivery
# d when (i + d) % 125 = 0 (0.8 % per delivery), moving its last-changed time on by a day and its value by one
DELIVERY = """
copy (
    select
        'K' || lpad(cast(i as varchar), 10, '0') as NOEKKEL,
        i as NR,
        (i + changes) % 97 as VERDI,
        'tekst ' || cast(i % 1000 as varchar) as TEKST,
        strftime(timestamp '2020-01-01' + to_seconds(i % 86400) + to_days(changes), '%Y-%m-%d %H:%M:%S') as ENDRET_TID
    from (
        select i, (i + {d}) // 125 - i // 125 as changes
        from range({d} * {new}, {rows} + {d} * {new}) as t(i)
    )
) to '{path}' (header, delimiter ',')
"""


def make_product(folder: Path) -> Path:
    (folder / "models" / "staging" / "kilde").mkdir(parents=True)
    (folder / "snapshots").mkdir()
    (folder / "profiles").mkdir()
    (folder / "dbt_project.yml").write_text(PROJECT, encoding="utf-8")
    (folder / "profiles" / "profiles.yml").write_text(PROFILES, encoding="utf-8")
    (folder / "models" / "staging" / "kilde" / "_kilde__sources.yml").write_text(SOURCES, encoding="utf-8")
    (folder / "models" / "staging" / "kilde" / "stg_kilde__rader.sql").write_text(STAGING, encoding="utf-8")
    (folder / "snapshots" / "hist_kilde__rader.yml").write_text(SNAPSHOT, encoding="utf-8")
    shutil.copytree(ROOT / "macros", folder / "macros")
    return folder


def make_archive(folder: Path, deliveries: int, rows: int) -> Path:
    import duckdb

    connection = duckdb.connect()
    for d in range(deliveries):
        delivery = folder / f"{2022 + d // 12}-{d % 12 + 1:02d}-01"
        delivery.mkdir(parents=True)
        sql = DELIVERY.format(d=d, rows=rows, new=rows // 1000, path=delivery / "rader.csv")
        connection.execute(sql)
    connection.close()
    return folder


def load(product: Path, archive: Path, *extra: str) -> float:
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "dataprodukt.cli", "load", "--from", str(archive), *extra],
        cwd=product,
        env={key: value for key, value in os.environ.items() if not key.startswith(("DBT_", "DUCKDB_"))},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - began
    if result.returncode != 0:
        sys.exit(f"dataprodukt load {' '.join(extra)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print("   ", result.stdout.strip().splitlines()[-1], flush=True)
    return seconds


def read_floor(archive: Path) -> float:
    """Seconds DuckDB takes to parse every extract of the archive once, every field read as text (as the loader reads
    them), in one statement and with nothing written: a lower bound for any path that records the archive."""
    import duckdb

    files = sorted(str(path) for path in archive.glob("*/rader.csv"))
    lengths = ", ".join(f"max(length({name}))" for name in ("NOEKKEL", "NR", "VERDI", "TEKST", "ENDRET_TID"))
    connection = duckdb.connect()
    began = time.monotonic()
    connection.execute(f"select count(*), {lengths} from read_csv(?, header = true, all_varchar = true)", [files])
    seconds = time.monotonic() - began
    connection.close()
    return seconds


def history(product: Path) -> list[tuple[object, ...]]:
    import duckdb

    connection = duckdb.connect(str(product / "build" / "bench.duckdb"), read_only=True)
    try:
        return sorted(connection.execute("select * from historikk.hist_kilde__rader").fetchall(), key=repr)
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per delivery (default 1,000,000)")
    parser.add_argument("--deliveries", type=int, default=24, help="dated full extracts (default 24)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (prints where)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_deliveries_"))
    try:
        print(f"making an archive of {args.deliveries} deliveries of {args.rows:,} rows in {folder}", flush=True)
        archive = make_archive(folder / "archive", args.deliveries, args.rows)
        one_pass = make_product(folder / "one_pass")
        one_by_one = make_product(folder / "one_by_one")
        print("  the archive path: dataprodukt load --from ARCHIVE", flush=True)
        archive_seconds = load(one_pass, archive)
        print("  one history run per delivery: dataprodukt load --from ARCHIVE --one-by-one", flush=True)
        single_seconds = load(one_by_one, archive, "--one-by-one")
        floor_seconds = read_floor(archive)
        first, second = history(one_pass), history(one_by_one)
        identical = first == second
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    ratio = single_seconds / archive_seconds
    print(f"{args.deliveries} dated full extracts of {args.rows:,} rows, DuckDB")
    print(f"  archive path (one pass)        {archive_seconds:8.1f} s")
    print(f"  one history run per delivery   {single_seconds:8.1f} s")
    print(f"  ratio                          {ratio:8.1f}   (goal >= 5)")
    print(
        f"  parsing the extracts alone     {floor_seconds:8.1f} s   (one statement, nothing written; "
        f"one-by-one / this: {single_seconds / floor_seconds:.1f})"
    )
    print(f"  history rows: {len(first):,} / {len(second):,}, identical: {'yes' if identical else 'NO'}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        summary = {
            "rows": args.rows,
            "deliveries": args.deliveries,
            "archive_seconds": archive_seconds,
            "one_by_one_seconds": single_seconds,
            "ratio": ratio,
            "parse_floor_seconds": floor_seconds,
            "history_rows": len(first),
            "identical": identical,
        }
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
