"""What the loader knows of a source table, from its source YAML, and what every kind of source hands the loader.

A source is loaded by the main job when its YAML says where its extracts come from, under ``meta.loader`` (on the
source, and per table where a table differs):

```yaml
sources:
  - name: brreg
    schema: raw
    meta:
      loader: {kind: files, folder: extracts/brreg, delimiter: ";", encoding: latin-1}
```

Each kind of source is one module beside this one (``folder_source``, ``postgres_source``, ``warehouse_source``)
with one function, ``deliveries(...)``: the deliveries it has, each a :class:`Delivery` with a name, a time, the
tables it holds and the files to load into raw in bulk (none for a table read where it lives). The loader checks
them, loads them and records each in the load log; nothing here knows how history uses a delivery's time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse import RawFile, Warehouse

# kind -> the settings it takes (besides `kind`), each with what it means; an unknown setting is refused
SETTINGS: dict[str, dict[str, str]] = {
    "files": {
        "folder": "the folder of deliveries, one subfolder each (relative to the project, or absolute)",
        "format": "csv or parquet (default csv)",
        "file": "the file of a table in a delivery folder, a glob (default <table>.csv / <table>.parquet)",
        "delimiter": "the CSV field delimiter (default ,)",
        "encoding": "the CSV encoding (default utf-8; registers often deliver latin-1)",
        "header": "whether a CSV's first line names the columns (default true)",
        "quote": 'the CSV quote character (default ")',
    },
    "postgres": {
        "connection": "prefix of the environment variables <PREFIX>_PGHOST, _PGPORT, _PGDATABASE, _PGUSER, _PGPASSWORD",
        "table": "the table to read, schema.table (default: the source table's name)",
        "query": "a query to read instead of a table",
        "delivered_at": "SQL over the table giving its delivery time, e.g. max(endret_tid) (default: when it is read)",
    },
    "warehouse": {
        "delivered_at": "SQL over the table giving its delivery time, e.g. max(lastet_tid) (default: each run)",
    },
}
REQUIRED = {"files": ("folder",), "postgres": ("connection",), "warehouse": ()}
FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class SourceTable:
    """A declared source table the loader reads: where its extracts come from and the columns it must have."""

    source: str
    name: str
    identifier: str
    database: str | None
    schema: str
    columns: tuple[str, ...]
    yaml_path: str
    settings: Mapping[str, Any]
    # column (upper case) -> the date or time format every value must have (column meta `format`)
    formats: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.settings["kind"])

    @property
    def label(self) -> str:
        return f"{self.source}.{self.name}"

    def setting(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name)
        return default if value is None else value


@dataclass
class Delivery:
    """One delivery of one or more source tables: loaded, recorded in history and logged together.

    ``origin`` and ``name`` identify it in the load log (``origin`` is where its deliveries come from: a folder as
    the YAML writes it, ``postgres:<source>`` or ``warehouse:<source>``). ``files`` maps raw tables to the extract to
    load in bulk; a table read where it lives has none. ``delivered_at`` is the delivery's own time when it has one
    (a folder's ``delivery.json`` or time-like name, load/deliveries.py; a ``delivered_at`` setting); history records
    the delivery at that time (at the load time when it has none).
    """

    origin: str
    name: str
    tables: list[SourceTable]
    files: dict[str, RawFile]
    fingerprint: str
    delivered_at: datetime | None = None
    row_counts: dict[str, int] = field(default_factory=dict)
    cleanup: Callable[[], None] | None = None
    # where its time was stated (messages name it): delivery.json, the folder name, the delivered_at setting
    stated_by: str = "meta.loader.delivered_at"
    # the delivery's folder, for a folder of extracts (messages name it)
    folder: Path | None = None

    @property
    def sources(self) -> list[str]:
        return sorted({table.source for table in self.tables})

    @property
    def schemas(self) -> dict[str, dict[str, RawFile]]:
        """schema -> {raw table -> file}: what to load where."""
        by_schema: dict[str, dict[str, RawFile]] = {}
        for table in self.tables:
            if table.identifier in self.files:
                by_schema.setdefault(table.schema, {})[table.identifier] = self.files[table.identifier]
        return by_schema

    def done(self) -> None:
        if self.cleanup is not None:
            self.cleanup()


def declared(sources: dict[str, dict[str, Any]]) -> list[SourceTable]:
    """Every source table whose YAML sets ``meta.loader``, from the parsed manifest's sources (the YAML is the
    contract); raises on a setting the loader can't use, naming the YAML file."""
    tables = []
    problems = []
    for node in sorted(sources.values(), key=lambda item: str(item["unique_id"])):
        settings = {**_loader(node.get("source_meta")), **_loader(node.get("meta"))}
        if not settings:
            continue
        where = f"{node['original_file_path']}: source {node['source_name']}, table {node['name']}: meta.loader"
        found = _settings_problems(settings)
        if found:
            problems += [f"{where}: {problem}" for problem in found]
            continue
        columns = node.get("columns") or {}
        formats = {
            str(name).upper(): str((column.get("meta") or {})["format"])
            for name, column in columns.items()
            if (column.get("meta") or {}).get("format")
        }
        tables.append(
            SourceTable(
                source=str(node["source_name"]),
                name=str(node["name"]),
                identifier=str(node.get("identifier") or node["name"]),
                database=node.get("database"),
                schema=str(node["schema"]),
                columns=tuple(str(name).upper() for name in columns),
                yaml_path=str(node["original_file_path"]),
                settings=settings,
                formats=formats,
            )
        )
    if problems:
        raise UserError("; ".join(problems))
    return tables


def _loader(meta: Any) -> dict[str, Any]:
    found = (meta or {}).get("loader") if isinstance(meta, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def _settings_problems(settings: dict[str, Any]) -> list[str]:
    kind = settings.get("kind")
    if kind not in SETTINGS:
        return [f"kind {kind!r}: say how its extracts come: kind: {', '.join(SETTINGS)} (docs/sources.md)"]
    known = SETTINGS[str(kind)]
    problems = [
        f"unknown setting {name!r} for kind {kind}: use {', '.join(known)}"
        for name in settings
        if name != "kind" and name not in known
    ]
    problems += [
        f"kind {kind} needs {name!r} ({known[name]})" for name in REQUIRED[str(kind)] if not settings.get(name)
    ]
    if kind == "files" and str(settings.get("format", "csv")) not in FORMATS:
        problems.append(f"format {settings['format']!r}: use {' or '.join(FORMATS)}")
    if kind == "postgres" and settings.get("table") and settings.get("query"):
        problems.append("give either table or query, not both")
    return problems


def time_name(moment: datetime) -> str:
    """A delivery's name from its time, in the form a folder would have it: 2025-01-31T06-00-00."""
    return moment.strftime("%Y-%m-%dT%H-%M-%S")


@dataclass
class Intake:
    """What a kind of source needs to find its deliveries: the project, the load log, where to put extracts read
    from a database, the warehouse (for tables read where they live), and folders given on the command line."""

    root: Path
    scratch: Path
    done: dict[tuple[str, str], str]
    warehouse: Warehouse
    batches: list[Path] | None = None

    def logged(self, origin: str, name: str) -> str | None:
        """The fingerprint a delivery was logged with; a log row from before origins were kept matches by name."""
        return self.done.get((origin, name), self.done.get(("", name)))

    def last_fingerprint(self, origin: str) -> str | None:
        """The fingerprint of the newest delivery logged from ``origin`` (names sort by time or number)."""
        logged = sorted(name for logged_origin, name in self.done if logged_origin == origin)
        return self.done[(origin, logged[-1])] if logged else None


@dataclass
class Found:
    """A kind of source's deliveries not yet in the load log, and every problem found in them."""

    pending: list[Delivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # origin -> how many deliveries it has in all (pending or logged), so an origin with none can be named
    counts: dict[str, int] = field(default_factory=dict)
