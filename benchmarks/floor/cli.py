"""Run the floor on a database where the raw tables are loaded, or compare its outputs with dbt's."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import floor
from floor.common import Engine, Settings
from floor.histories import histories, seeds
from floor.outputs import outputs
from floor.verify import suppression_agrees, verify


def build(engine: Engine, settings: Settings) -> None:
    """Build every output and make every check; raises CheckFailed on the first failed check."""
    for name in ("kodeverk", "historikk"):
        engine.execute(f"create schema if not exists {engine.schema(name)}")
    if engine.name == "duckdb":
        # hand-written: joins run in the order written, each building its hash table on the side known to be smaller
        engine.execute("set disabled_optimizers = 'join_order,build_side_probe_side'")
    else:
        engine.execute("set jit = off")  # the dbt project's PostgreSQL history runs have it off too
    seeds(engine, settings)
    histories(engine)
    outputs(engine, settings)


def duckdb_engine(database: Path, schema_prefix: str) -> tuple[Engine, Any]:
    import duckdb

    connection = duckdb.connect(str(database))
    connection.execute("set enable_progress_bar = false")
    return Engine("duckdb", lambda sql: connection.execute(sql).fetchall(), schema_prefix), connection


def postgres_engine(schema_prefix: str) -> tuple[Engine, Any]:
    import psycopg2

    connection = psycopg2.connect(dbname=os.environ.get("PGDATABASE"))  # the other PG* variables: libpq's
    connection.autocommit = True
    cursor = connection.cursor()

    def execute(sql: str) -> list[tuple[Any, ...]]:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []

    return Engine("postgres", execute, schema_prefix), connection


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=floor.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="duckdb", choices=("duckdb", "postgres"))
    parser.add_argument("--database", help="DuckDB: the file with the raw tables loaded (outputs are written to it)")
    parser.add_argument(
        "--schema-prefix", help="prefix of the floor's schemas (PostgreSQL: gulv_, beside dbt's; DuckDB: none)"
    )
    parser.add_argument("--project", default=str(Path.cwd()), help="the dbt project (vars, seeds, compiled SQL)")
    parser.add_argument("--verify-against", help="DuckDB: dbt's database file; PostgreSQL: 'dbt' (same database)")
    parser.add_argument("--timings", help="write the time per step here (JSON)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    key = os.environ.get("DATAPRODUKT_PSEUDONYM_KEY", "")
    if not key:
        parser.error("set DATAPRODUKT_PSEUDONYM_KEY (the key dbt pseudonymises with)")
    project = Path(args.project)
    settings = Settings.from_project(project, key)
    if args.target == "duckdb":
        if not args.database:
            parser.error("--database is required for duckdb")
        engine, connection = duckdb_engine(Path(args.database), args.schema_prefix or "")
    else:
        engine, connection = postgres_engine("gulv_" if args.schema_prefix is None else args.schema_prefix)
    if args.verify_against:
        result: dict[str, Any] = {"equal": True}
        if args.target == "duckdb":
            connection.execute(f"attach '{args.verify_against}' as dbt (read_only)")
            catalog = Path(args.database).stem
            result["rows"] = verify(
                engine.execute, settings, lambda s: f'"{catalog}".{engine.schema(s)}', lambda s: f"dbt.{s}"
            )
            compiled = next((project / "target" / "compiled").rglob("utdata/sykefravaer_v1.sql"))
            result["suppression_trials"] = suppression_agrees(compiled, settings)
        else:
            result["rows"] = verify(engine.execute, settings, engine.schema, lambda s: s)
        print(json.dumps(result))
        return 0
    started = time.perf_counter()
    build(engine, settings)
    connection.close()
    engine.timings["total"] = time.perf_counter() - started
    text = json.dumps({label: round(seconds, 3) for label, seconds in engine.timings.items()}, indent=2)
    if args.timings:
        Path(args.timings).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0
