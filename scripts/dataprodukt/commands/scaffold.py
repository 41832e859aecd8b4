"""`dataprodukt scaffold SOURCE TABLE`: write the staging model, source entry and model entry for a raw table that
is loaded in the warehouse. Offline: it reads only the warehouse. It never overwrites a file that differs from what
it would write: it refuses and shows the unified diff instead."""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt import commands
from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse import connected
from dataprodukt.load.loader import RAW_SCHEMA
from dataprodukt.load.scaffold_files import Outcome, add_model, add_source, write_whole
from dataprodukt.load.staging_model import (
    load_name_map,
    model_name,
    plan_columns,
    render_sql,
    snake,
    source_entry,
    sources_file,
)


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "scaffold",
        help="write a staging model and its YAML for a raw table loaded in the warehouse",
        description=__doc__,
    )
    parser.add_argument("source", help="the source's name, e.g. aareg (the folder under models/staging/)")
    parser.add_argument("table", help="the raw table's name in the raw schema, e.g. arbeidsforhold")
    parser.add_argument("--schema", default=RAW_SCHEMA, help=f"schema holding the raw table (default {RAW_SCHEMA})")
    parser.add_argument("--sample", type=int, default=10_000, help="distinct values read per column (default 10000)")
    parser.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    commands.add_target(parser)
    parser.set_defaults(handler=handle)


def read_table(project: Any, schema: str, source: str, table: str, sample: int) -> list[tuple[str, str, Any]]:
    """(column, type, sampled values of a text column) for the raw table, or a clear error naming what exists."""
    with connected(project) as warehouse:
        columns = warehouse.relation_columns(schema, table)
        if not columns:
            held = warehouse.list_tables(schema)
            holds = f"{schema} holds: {', '.join(held)}" if held else f"{schema} holds no tables (load the raw data)"
            raise UserError(
                f"source {source}: no table {schema}.{table} in the {project.target} warehouse; {holds}. "
                "Give one of those names, or load the table first"
            )
        return [
            (name, kind, warehouse.sample_values(schema, table, name, sample) if _is_text(kind) else None)
            for name, kind in columns
        ]


def _is_text(data_type: str) -> bool:
    return data_type.lower().startswith(("char", "text", "string", "varchar", "character"))


def handle(args: argparse.Namespace) -> int:
    project = commands.project(args)
    source, table = snake(args.source), snake(args.table)
    raw = read_table(project, args.schema, source, table, args.sample)
    columns = plan_columns(load_name_map(project.root), source, table, raw)
    folder = project.root / "models" / "staging" / source
    outcome = Outcome(dry_run=args.dry_run)
    write_whole(outcome, project.root, folder / f"{model_name(source, table)}.sql", render_sql(source, table, columns))
    entry = source_entry(table, [column for column, _kind, _values in raw])
    new_source = sources_file(source, args.schema, entry)["sources"][0]
    add_source(outcome, project.root, folder / f"_{source}__sources.yml", new_source, entry)
    add_model(outcome, project.root, folder / f"_{source}__models.yml", source, table, columns)
    return outcome.report("next: replace the TODO descriptions in the YAML, then run `dataprodukt check`")
