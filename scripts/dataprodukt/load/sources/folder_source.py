"""A folder of extracts (``kind: files``): one subfolder per delivery, one file per table in it (CSV or parquet).

```
extracts/brreg/                 meta.loader.folder
  2025-01-31/enheter.csv        a delivery, named by its time (or batch_000/ with a delivery.json giving it)
  2025-02-28/enheter.csv
```

Every source table that names the same folder is delivered together: one subfolder is one delivery of all of
them, loaded and recorded in history as one. A delivery is identified in the load log by the folder (as the YAML
writes it) and the subfolder's name, with a fingerprint of its files' bytes: a delivery already logged is skipped,
and one whose files changed since is refused (history is never rewritten). Files are only read, never moved,
changed or deleted.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from itertools import repeat
from pathlib import Path

from dataprodukt.core.errors import UserError
from dataprodukt.load import deliveries as delivery_times
from dataprodukt.load.sources.extract_check import check_file
from dataprodukt.load.sources.source_table import Delivery, Found, Intake, SourceTable


def deliveries(intake: Intake, tables: list[SourceTable]) -> Found:
    found = Found()
    by_folder: dict[str, list[SourceTable]] = {}
    for table in tables:
        by_folder.setdefault(str(table.setting("folder")), []).append(table)
    given = _given_batches(intake, by_folder)
    for origin, members in sorted(by_folder.items()):
        folder = _resolve(intake.root, origin)
        if given is not None:
            folders = given.get(origin, [])
        elif folder.is_dir():
            folders = delivery_folders(folder)
        else:
            folders = []
        found.counts[origin] = len(folders) + sum(1 for logged, _name in intake.done if logged == origin)
        # each delivery's files are read whole (fingerprint, encoding, every row): on every core, merged in order
        with ThreadPoolExecutor(max_workers=min(len(folders), os.cpu_count() or 1) or 1) as pool:
            for part in pool.map(_one, repeat(intake), repeat(origin), folders, repeat(members)):
                found.pending += part.pending
                found.problems += part.problems
    return found


def delivery_folders(folder: Path) -> list[Path]:
    """The delivery subfolders of a source folder, in name order (hidden and ``_``-prefixed folders left out)."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _resolve(root: Path, folder: str) -> Path:
    path = Path(folder).expanduser()
    return path if path.is_absolute() else root / path


def _given_batches(intake: Intake, by_folder: dict[str, list[SourceTable]]) -> dict[str, list[Path]] | None:
    """`dataprodukt load --batch DIR`: each folder is a delivery of the source folder that holds it, or, when the
    project reads one source folder only, of that one."""
    if intake.batches is None:
        return None
    given: dict[str, list[Path]] = {}
    for batch in intake.batches:
        if not batch.is_dir():
            raise UserError(f"--batch {batch}: no such folder: give a delivery folder (one file per source table)")
        owner = [origin for origin in by_folder if _resolve(intake.root, origin).resolve() == batch.parent.resolve()]
        if not owner and len(by_folder) == 1:
            owner = list(by_folder)
        if not owner:
            raise UserError(
                f"--batch {batch}: it is in none of the source folders ({', '.join(sorted(by_folder))}): put it in "
                "the folder of the source it belongs to"
            )
        given.setdefault(owner[0], []).append(batch)
    return given


def _one(intake: Intake, origin: str, folder: Path, tables: list[SourceTable]) -> Found:
    """One delivery folder: the delivery, or the problems found in it."""
    found = Found()
    _examine(intake, origin, folder, tables, found)
    return found


def _examine(intake: Intake, origin: str, folder: Path, tables: list[SourceTable], found: Found) -> None:
    paths: dict[str, Path] = {}
    for table in tables:
        pattern = str(table.setting("file", f"{table.name}.{table.setting('format', 'csv')}"))
        matches = sorted(folder.glob(pattern))
        if len(matches) == 1:
            paths[table.identifier] = matches[0]
        elif not matches:
            found.problems.append(
                f"{folder / pattern}: file missing for source table {table.label} ({table.yaml_path}): every "
                f"delivery in {origin} holds one file per table; add it, or move the folder out of {origin}"
            )
        else:
            shown = ", ".join(path.name for path in matches[:5])
            found.problems.append(
                f"{folder}: {len(matches)} files match {pattern!r} for {table.label} ({shown}): make "
                f"meta.loader.file in {table.yaml_path} match one"
            )
    if len(paths) != len(tables):
        return
    fingerprint = _fingerprint(paths)
    logged = intake.logged(origin, folder.name)
    if logged is not None:
        if logged != fingerprint:
            found.problems.append(
                f"{folder} differs from the {folder.name} already loaded into history on this target: history is "
                "never rewritten. Keep the original files, or start a new warehouse (`dataprodukt clean`) to load "
                "new ones"
            )
        return
    files = {}
    for table in tables:
        checked = check_file(paths[table.identifier], table)
        found.problems += checked.problems
        if checked.file is not None:
            files[table.identifier] = checked.file
    try:
        stated = delivery_times.stated_time(folder)
    except UserError as error:
        found.problems.append(str(error))
        return
    if len(files) == len(tables):
        at, stated_by = (stated[0].replace(tzinfo=UTC), stated[1]) if stated else (None, "load time")
        found.pending.append(
            Delivery(origin, folder.name, tables, files, fingerprint, at, stated_by=stated_by, folder=folder)
        )


def _fingerprint(paths: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for name in sorted(paths):
        digest.update(name.encode())
        with paths[name].open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
