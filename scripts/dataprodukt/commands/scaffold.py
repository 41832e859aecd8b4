"""`dataprodukt scaffold SOURCE TABLE`: write the staging model, source entry and model entry for a raw table that
is loaded in the warehouse. Offline: it reads only the warehouse. It never overwrites a file that differs from what
it would write: it refuses and shows the unified diff instead."""

from __future__ import annotations

import argparse
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataprodukt import commands
from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse import connected
from dataprodukt.load.loader import RAW_SCHEMA
from dataprodukt.load.staging_model import (
    Column,
    doc_names,
    dump,
    load_name_map,
    model_entry,
    model_name,
    models_file,
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


@dataclass
class Outcome:
    """What happened to each file; a refusal carries what to show the user."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False
    previews: list[tuple[str, str]] = field(default_factory=list)

    def write(self, path: Path, content: str, label: str, shown: str | None = None) -> None:
        """Write the file (or, in a dry run, keep what would be written to show it)."""
        if self.dry_run:
            self.previews.append((label, content if shown is None else shown))
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        self.written.append(label)


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
    add_source(outcome, project.root, folder / f"_{source}__sources.yml", source, args.schema, table, raw)
    add_model(outcome, project.root, folder / f"_{source}__models.yml", source, table, columns)
    for path in outcome.written:
        print(f"wrote {path}")
    for label, content in outcome.previews:
        print(f"would write {label}:")
        print(content, end="" if content.endswith("\n") else "\n")
    for path in outcome.unchanged:
        print(f"unchanged {path}")
    for path, shown in outcome.refused:
        print(f"refused {path}: it differs from what the scaffold writes (edited by hand?); not overwritten.")
        print(shown, end="" if shown.endswith("\n") else "\n")
    if outcome.refused:
        print("apply the changes you want by hand, or move the file away and run the scaffold again")
        return 1
    if outcome.dry_run:
        print("dry run: nothing written")
        return 0
    print("next: replace the TODO descriptions in the YAML, then run `dataprodukt check`")
    return 0


def _relative(root: Path, path: Path) -> str:
    return str(path.relative_to(root))


def _diff(old: str, new: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"{name} (now)", f"{name} (scaffold)"
        )
    )


def write_whole(outcome: Outcome, root: Path, path: Path, content: str) -> None:
    name = _relative(root, path)
    if not path.exists():
        outcome.write(path, content, name)
        return
    current = path.read_text(encoding="utf-8")
    if current == content:
        outcome.unchanged.append(name)
    else:
        outcome.refused.append((name, _diff(current, content, name)))


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML ({error}): fix it before scaffolding into it") from error
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a YAML mapping: fix it before scaffolding into it")
    return data


def _append(outcome: Outcome, root: Path, path: Path, entry_text: str, expected: dict[str, Any]) -> None:
    """Add an entry by appending lines (nothing already written changes); refuse when appending can't place it."""
    name = _relative(root, path)
    current = path.read_text(encoding="utf-8")
    proposed = current.rstrip("\n") + "\n" + entry_text
    try:
        placed = yaml.safe_load(proposed) == expected
    except yaml.YAMLError:
        placed = False
    if placed:
        outcome.write(path, proposed, f"{name} (entry added)", entry_text)
    else:
        outcome.refused.append((name, f"add this entry where it belongs in {name}:\n{entry_text}"))


def _compare_entry(outcome: Outcome, name: str, existing: dict[str, Any], wanted: dict[str, Any], indent: int) -> None:
    """An entry already there: fine when it lists the same columns; otherwise show how the columns differ."""
    have = [str(column.get("name", "")).lower() for column in existing.get("columns") or []]
    want = [str(column["name"]).lower() for column in wanted["columns"]]
    if have == want:
        outcome.unchanged.append(f"{name} (entry {wanted['name']})")
        return
    kept = {str(column.get("name", "")).lower(): column for column in existing.get("columns") or []}
    merged = dict(existing, columns=[kept.get(str(column["name"]).lower(), column) for column in wanted["columns"]])
    outcome.refused.append(
        (name, _diff(dump([existing], indent), dump([merged], indent), f"{name} entry {wanted['name']}"))
    )


def add_source(
    outcome: Outcome, root: Path, path: Path, source: str, schema: str, table: str, raw: list[tuple[str, str, Any]]
) -> None:
    entry = source_entry(table, [column for column, _kind, _values in raw])
    if not path.exists():
        write_whole(outcome, root, path, dump(sources_file(source, schema, entry)))
        return
    data = _load(path)
    sources = data.get("sources") or []
    match = next((item for item in sources if isinstance(item, dict) and item.get("name") == source), None)
    if match is None:
        new_source = sources_file(source, schema, entry)["sources"][0]
        _append(outcome, root, path, dump([new_source], 2), dict(data, sources=[*sources, new_source]))
        return
    tables = match.get("tables") or []
    existing = next((item for item in tables if isinstance(item, dict) and item.get("name") == table), None)
    if existing is not None:
        _compare_entry(outcome, _relative(root, path), existing, entry, 6)
        return
    expected = dict(data, sources=[dict(item, tables=[*tables, entry]) if item is match else item for item in sources])
    _append(outcome, root, path, dump([entry], 6), expected)


def add_model(outcome: Outcome, root: Path, path: Path, source: str, table: str, columns: list[Column]) -> None:
    entry = model_entry(source, table, columns, doc_names(root))
    if not path.exists():
        write_whole(outcome, root, path, dump(models_file(entry)))
        return
    data = _load(path)
    models = data.get("models") or []
    existing = next((item for item in models if isinstance(item, dict) and item.get("name") == entry["name"]), None)
    if existing is not None:
        _compare_entry(outcome, _relative(root, path), existing, entry, 2)
        return
    _append(outcome, root, path, dump([entry], 2), dict(data, models=[*models, entry]))
