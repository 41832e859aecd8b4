"""`dataprodukt add-source SOURCE TABLE`: a new source table, from its data to its history, in one command.

It reads the table where it lives (the newest delivery in a folder of extracts, a PostgreSQL table or query, or a
table in the warehouse), and writes: the source YAML entry with where the extracts come from (``meta.loader``) and
the columns, each date column with its format; the staging model (friendly names, types guessed from the values)
and its YAML; and the history (``snapshots/hist_<source>__<table>.yml``) with its key (guessed: the first column
whose values are present and unique), what counts as a change, and the integrity tests. It never overwrites a file
that differs from what it would write: it refuses and shows the diff.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprodukt import commands
from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.load.scaffold_files import Outcome, add_model, add_source, write_whole
from dataprodukt.load.source_scaffold import (
    guess_key,
    snapshot_yaml,
    sniff_delimiter,
    sniff_encoding,
    source_yaml,
    table_yaml,
    with_formats,
)
from dataprodukt.load.staging_model import doc_names, dump, load_name_map, model_name, plan_columns, render_sql, snake


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "add-source", help="add a source table: its source YAML, staging model and history, from its data"
    )
    parser.add_argument("source", help="the source's name, e.g. brreg (the folder under models/staging/)")
    parser.add_argument("table", help="the table's name, e.g. enheter")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--folder", help="a folder of extracts: FOLDER/<delivery>/<table>.csv (or .parquet)")
    where.add_argument("--postgres", metavar="PREFIX", help="a PostgreSQL database: PREFIX_PGHOST, _PGDATABASE, ...")
    where.add_argument("--warehouse", metavar="SCHEMA", help="a table already in the warehouse, read where it lives")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="the extracts' format (--folder)")
    parser.add_argument("--file", help="the table's file in a delivery folder, a glob (default <table>.<format>)")
    parser.add_argument("--delimiter", help="the CSV delimiter (default: read from the header line)")
    parser.add_argument("--encoding", help="the CSV encoding (default: utf-8 if the file is, else latin-1/cp1252)")
    parser.add_argument("--no-header", action="store_true", help="the CSV has no header line")
    parser.add_argument("--from", dest="relation", help="--postgres: the table (schema.table; default TABLE)")
    parser.add_argument("--query", help="--postgres: a query to read instead of a table")
    parser.add_argument("--database", help="--warehouse: the database (BigQuery: project) holding SCHEMA")
    parser.add_argument("--key", help="the history's key column (default: guessed from the data)")
    parser.add_argument("--changes", metavar="DELETED_WHEN", help="a source of changes: SQL true on a deleting row")
    parser.add_argument("--sample", type=int, default=10_000, help="distinct values read per column (default 10000)")
    parser.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    commands.add_target(parser)
    parser.set_defaults(handler=handle)


@dataclass
class Profile:
    """What the data says: the raw columns in order, each with its type (``text`` for text) and sampled values,
    and which columns are present and unique in every row; and how the loader is to read it."""

    columns: list[tuple[str, str, list[str] | None]]
    unique: dict[str, bool]
    settings: dict[str, Any]
    table_settings: dict[str, Any]


def handle(args: argparse.Namespace) -> int:
    project = commands.project(args)
    source, table = snake(args.source), snake(args.table)
    if args.folder:
        profile = _from_folder(project, table, args)
    elif args.postgres:
        profile = _from_postgres(project, source, table, args)
    else:
        profile = _from_warehouse(project, table, args)
    columns = plan_columns(load_name_map(project.root), source, table, profile.columns)
    samples = {name: values or [] for name, _kind, values in profile.columns}
    columns, formats = with_formats(columns, samples)
    key = _key(args.key, columns, profile.unique, source, table)
    raw = [name for name, _kind, _values in profile.columns]
    folder = project.root / "models" / "staging" / source
    outcome = Outcome(dry_run=args.dry_run)
    write_whole(outcome, project.root, folder / f"{model_name(source, table)}.sql", render_sql(source, table, columns))
    sources_path = folder / f"_{source}__sources.yml"
    table_settings = {**_differs(sources_path, source, profile.settings), **profile.table_settings}
    entry = table_yaml(table, raw, formats, table_settings)
    new_source = source_yaml(source, dict(profile.settings), table, raw, formats)
    new_source["tables"] = [table_yaml(table, raw, formats, profile.table_settings)]
    add_source(outcome, project.root, sources_path, new_source, entry)
    add_model(outcome, project.root, folder / f"_{source}__models.yml", source, table, columns)
    history = snapshot_yaml(source, table, columns, key, doc_names(project.root), args.changes)
    comment = (
        f"# History (SCD2) of {model_name(source, table)}, written by `dataprodukt add-source`. Settings every\n"
        "# history shares are set once in dbt_project.yml; see docs/history.md.\n"
    )
    path = project.root / "snapshots" / f"hist_{source}__{table}.yml"
    write_whole(outcome, project.root, path, dump(history).replace("\n\nsnapshots:", "\n\n" + comment + "snapshots:"))
    return outcome.report(
        f"next: the history's key is {key}; replace the TODO descriptions in the YAML, then run `dataprodukt check` "
        "and `dataprodukt run`"
    )


def _differs(path: Path, source: str, settings: dict[str, Any]) -> dict[str, Any]:
    """For a table added to a source already declared: the loader settings in which it differs from the source's."""
    if not path.is_file():
        return {}
    from dataprodukt.load.scaffold_files import load_yaml

    declared = next(
        (
            item
            for item in load_yaml(path).get("sources") or []
            if isinstance(item, dict) and item.get("name") == source
        ),
        None,
    )
    if declared is None:
        return {}
    loader = ((declared.get("meta") or {}).get("loader")) or {}
    wanted = {key: value for key, value in settings.items() if key not in ("database", "schema")}
    return {key: value for key, value in wanted.items() if loader.get(key) != value}


def _key(given: str | None, columns: list[Any], unique: dict[str, bool], source: str, table: str) -> str:
    if given:
        match = [column.name for column in columns if given.lower() in (column.name, column.raw.lower())]
        if not match:
            names = ", ".join(column.name for column in columns)
            raise UserError(f"--key {given}: {source}.{table} has no such column; its columns are {names}")
        return str(match[0])
    key = guess_key(columns, unique)
    if key is None:
        raise UserError(
            f"{source}.{table}: no column is present and unique in every row, so the history's key can't be guessed: "
            "give it with --key COLUMN (a history's key is one column)"
        )
    return key


def _profile(data: Any, sample: int, settings: dict[str, Any], table_settings: dict[str, Any]) -> Profile:
    """A pyarrow table's columns: text columns with up to ``sample`` distinct values, others with their type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns: list[tuple[str, str, list[str] | None]] = []
    unique = {}
    for name in data.column_names:
        column = data.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            filled = pc.not_equal(pc.utf8_trim_whitespace(pc.fill_null(column, "")), "")
            full = pc.sum(filled).as_py() == data.num_rows
            values = [str(value) for value in pc.unique(pc.filter(column, filled)).to_pylist()[:sample]]
            columns.append((name, "text", values))
        else:
            full = column.null_count == 0
            columns.append((name, str(column.type), None))
        unique[name] = full and data.num_rows > 0 and pc.count_distinct(column).as_py() == data.num_rows
    return Profile(columns, unique, settings, table_settings)


def _from_folder(project: Project, table: str, args: argparse.Namespace) -> Profile:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from dataprodukt.load.sources.folder_source import delivery_folders

    root = Path(args.folder).expanduser()
    folder = root if root.is_absolute() else project.root / root
    pattern = args.file or f"{table}.{args.format}"
    found = [
        match for delivery in (delivery_folders(folder) if folder.is_dir() else []) for match in delivery.glob(pattern)
    ]
    if not found:
        raise UserError(
            f"no extract of {table} in {folder}: put the first delivery in {args.folder}/<delivery>/{pattern} "
            "(a folder per delivery, named by its date, e.g. 2025-01-31), then run add-source again"
        )
    path = found[-1]
    settings: dict[str, Any] = {"kind": "files", "folder": args.folder}
    if args.file:
        settings["file"] = args.file
    if args.format == "parquet":
        settings["format"] = "parquet"
        return _profile(pq.read_table(path), args.sample, settings, {})
    encoding = args.encoding or sniff_encoding(path)
    delimiter = args.delimiter or sniff_delimiter(path, encoding)
    settings.update({"delimiter": delimiter, "encoding": encoding})
    if args.no_header:
        settings["header"] = False
    with path.open(encoding=encoding, newline="") as handle:
        first = next(csv.reader(handle, delimiter=delimiter), [])
    names = [f"KOLONNE_{n}" for n in range(1, len(first) + 1)] if args.no_header else [n.strip() for n in first]
    data = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, column_names=names, skip_rows=0 if args.no_header else 1),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False),
    )
    print(f"read {path} ({data.num_rows} rows; encoding {encoding}, delimiter {delimiter!r})")
    return _profile(data, args.sample, settings, {})


def _from_postgres(project: Project, source: str, table: str, args: argparse.Namespace) -> Profile:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from dataprodukt.load.sources import postgres_source
    from dataprodukt.load.sources.source_table import SourceTable

    settings: dict[str, Any] = {"kind": "postgres", "connection": args.postgres}
    table_settings = {"query": args.query} if args.query else {"table": args.relation} if args.relation else {}
    stub = SourceTable(source, table, table, None, "raw", (), "(add-source)", {**settings, **table_settings})
    connection = postgres_source.connect(stub)
    try:
        with connection.cursor() as cursor:
            names = postgres_source.columns(cursor, stub)
        project.build_dir.mkdir(parents=True, exist_ok=True)  # a fresh clone has no build/ yet
        with tempfile.TemporaryDirectory(dir=project.build_dir) as scratch:
            path = Path(scratch) / f"{table}.csv"
            postgres_source.copy_out(connection, stub, names, path)
            types = dict.fromkeys(names, pa.string())
            data = pacsv.read_csv(
                path,
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
            )
    finally:
        connection.close()
    print(f"read {postgres_source.relation(stub)} ({data.num_rows} rows)")
    return _profile(data, args.sample, settings, table_settings)


def _from_warehouse(project: Project, table: str, args: argparse.Namespace) -> Profile:
    from dataprodukt.core.warehouse import connected

    settings: dict[str, Any] = {"kind": "warehouse", "schema": args.warehouse}
    if args.database:
        settings["database"] = args.database
    with connected(project) as warehouse:
        if not warehouse.relation_columns(args.warehouse, table, args.database):
            held = ", ".join(warehouse.list_tables(args.warehouse)) or "no tables"
            raise UserError(
                f"no table {args.warehouse}.{table} in the {project.target} warehouse ({args.warehouse} holds {held}): "
                "give the schema and table that hold it"
            )
        parts = [part for part in (args.database, args.warehouse, table) if part]
        data = warehouse.arrow(f"select * from {warehouse.quote(*parts)}")
    print(f"read {'.'.join(parts)} ({data.num_rows} rows)")
    return _profile(data, args.sample, settings, {})
