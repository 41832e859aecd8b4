"""Files the scaffolds write, never over a user's edits: a whole file is written only when it is new (or exactly what
would be written), and an entry is added to an existing YAML file only by appending lines; anything else is refused
with a unified diff. Shared by `dataprodukt scaffold` and `dataprodukt add-source`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataprodukt.core.errors import UserError
from dataprodukt.load.staging_model import Column, doc_names, dump, model_entry, models_file


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

    def report(self, next_step: str) -> int:
        """Print what happened to each file; the exit status (1 when a file was refused)."""
        for path in self.written:
            print(f"wrote {path}")
        for label, content in self.previews:
            print(f"would write {label}:")
            print(content, end="" if content.endswith("\n") else "\n")
        for path in self.unchanged:
            print(f"unchanged {path}")
        for path, shown in self.refused:
            print(f"refused {path}: it differs from what the scaffold writes (edited by hand?); not overwritten.")
            print(shown, end="" if shown.endswith("\n") else "\n")
        if self.refused:
            print("apply the changes you want by hand, or move the file away and run the scaffold again")
            return 1
        if self.dry_run:
            print("dry run: nothing written")
            return 0
        print(next_step)
        return 0


def relative(root: Path, path: Path) -> str:
    return str(path.relative_to(root))


def diff(old: str, new: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"{name} (now)", f"{name} (scaffold)"
        )
    )


def write_whole(outcome: Outcome, root: Path, path: Path, content: str) -> None:
    name = relative(root, path)
    if not path.exists():
        outcome.write(path, content, name)
        return
    current = path.read_text(encoding="utf-8")
    if current == content:
        outcome.unchanged.append(name)
    else:
        outcome.refused.append((name, diff(current, content, name)))


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML ({error}): fix it before scaffolding into it") from error
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a YAML mapping: fix it before scaffolding into it")
    return data


def append_entry(outcome: Outcome, root: Path, path: Path, entry_text: str, expected: dict[str, Any]) -> None:
    """Add an entry by appending lines (nothing already written changes); refuse when appending can't place it."""
    name = relative(root, path)
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


def compare_entry(outcome: Outcome, name: str, existing: dict[str, Any], wanted: dict[str, Any], indent: int) -> None:
    """An entry already there: fine when it lists the same columns; otherwise show how the columns differ."""
    have = [str(column.get("name", "")).lower() for column in existing.get("columns") or []]
    want = [str(column["name"]).lower() for column in wanted["columns"]]
    if have == want:
        outcome.unchanged.append(f"{name} (entry {wanted['name']})")
        return
    kept = {str(column.get("name", "")).lower(): column for column in existing.get("columns") or []}
    merged = dict(existing, columns=[kept.get(str(column["name"]).lower(), column) for column in wanted["columns"]])
    outcome.refused.append(
        (name, diff(dump([existing], indent), dump([merged], indent), f"{name} entry {wanted['name']}"))
    )


def add_source(outcome: Outcome, root: Path, path: Path, new_source: dict[str, Any], entry: dict[str, Any]) -> None:
    """The table's entry in the source's YAML: a new file holding ``new_source``; else the source (as
    ``new_source``) or the table appended; an entry already there is compared by its columns."""
    source = str(new_source["name"])
    if not path.exists():
        write_whole(outcome, root, path, dump({"version": 2, "sources": [new_source]}))
        return
    data = load_yaml(path)
    sources = data.get("sources") or []
    match = next((item for item in sources if isinstance(item, dict) and item.get("name") == source), None)
    if match is None:
        append_entry(outcome, root, path, dump([new_source], 2), dict(data, sources=[*sources, new_source]))
        return
    tables = match.get("tables") or []
    existing = next((item for item in tables if isinstance(item, dict) and item.get("name") == entry["name"]), None)
    if existing is not None:
        compare_entry(outcome, relative(root, path), existing, entry, 6)
        return
    expected = dict(data, sources=[dict(item, tables=[*tables, entry]) if item is match else item for item in sources])
    append_entry(outcome, root, path, dump([entry], 6), expected)


def add_model(outcome: Outcome, root: Path, path: Path, source: str, table: str, columns: list[Column]) -> None:
    entry = model_entry(source, table, columns, doc_names(root))
    if not path.exists():
        write_whole(outcome, root, path, dump(models_file(entry)))
        return
    data = load_yaml(path)
    models = data.get("models") or []
    existing = next((item for item in models if isinstance(item, dict) and item.get("name") == entry["name"]), None)
    if existing is not None:
        compare_entry(outcome, relative(root, path), existing, entry, 2)
        return
    append_entry(outcome, root, path, dump([entry], 2), dict(data, models=[*models, entry]))
