"""Write a staging model for a raw table: friendly names from the project's name map, casts from the types the
values hold, and the source and model YAML entries. Pure functions over names and sampled values; the
``dataprodukt scaffold`` verb (commands/scaffold.py) reads the warehouse and writes the files."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dataprodukt.core.errors import UserError

PLACEHOLDER = "TODO: beskriv kolonnen"
MODEL_PLACEHOLDER = "TODO: beskriv modellen (grain: én rad per ...)"
TABLE_PLACEHOLDER = "TODO: beskriv tabellen"
SOURCE_PLACEHOLDER = "TODO: beskriv kilden"
PROJECT_NAME_MAP = "name_map.yml"

# inferred kind -> the type written in the cast (dbt's cross-database type macros where they exist)
CAST_TYPES = {
    "integer": "{{ dbt.type_int() }}",
    "bigint": "{{ dbt.type_bigint() }}",
    "numeric": "{{ dbt.type_numeric() }}",
    "date": "date",
    "timestamp": "{{ dbt.type_timestamp() }}",
}
# banner comment per group, in the order the groups are written
GROUPS = ("ids", "strings", "numerics", "dates")
GROUP_OF_KIND = {
    "integer": "numerics",
    "bigint": "numerics",
    "numeric": "numerics",
    "date": "dates",
    "timestamp": "dates",
}
TEXT_TYPES = ("char", "text", "string", "varchar", "character")
INTEGER = re.compile(r"^[+-]?(0|[1-9]\d*)$")
DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")
INT32 = 2**31 - 1


@dataclass(frozen=True)
class NameMap:
    tables: dict[str, dict[str, str]]
    columns: dict[str, str]
    words: dict[str, str]
    endings: dict[str, str]
    identifiers: frozenset[str]
    text_endings: tuple[str, ...]
    numeric_endings: tuple[str, ...]

    def friendly(self, source: str, table: str, column: str) -> str:
        """The friendly lower_snake name of a raw column."""
        key = column.upper()
        by_table = self.tables.get(f"{source}.{table}".lower(), {})
        if key in by_table:
            return by_table[key]
        if key in self.columns:
            return self.columns[key]
        words = []
        for word in (part for part in re.split(r"[^A-Z0-9ÆØÅ]+", key) if part):
            if word in self.words:
                words.append(self.words[word])
                continue
            for ending, spelt in sorted(self.endings.items(), key=lambda item: -len(item[0])):
                if word.endswith(ending) and len(word) - len(ending) >= 3:
                    words.append(snake(word[: -len(ending)]) + spelt)
                    break
            else:
                words.append(snake(word))
        return "_".join(words) or snake(column)


def snake(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _upper_keys(mapping: Any) -> dict[str, str]:
    return {str(key).upper(): str(value) for key, value in (mapping or {}).items()}


def load_name_map(project_root: Path | None = None) -> NameMap:
    """The starter dictionary shipped with the tooling, overridden by the project's name_map.yml."""
    layers = [yaml.safe_load(resources.files("dataprodukt").joinpath("data/name_map.yml").read_text("utf-8"))]
    own = project_root / PROJECT_NAME_MAP if project_root else None
    if own and own.is_file():
        try:
            layers.append(yaml.safe_load(own.read_text(encoding="utf-8")) or {})
        except yaml.YAMLError as error:
            raise UserError(f"{own} is not valid YAML ({error}): fix the file") from error
    merged: dict[str, Any] = {"tables": {}, "columns": {}, "words": {}, "endings": {}}
    lists: dict[str, list[str]] = {"identifiers": [], "text_endings": [], "numeric_endings": []}
    for layer in layers:
        if not isinstance(layer, dict):
            raise UserError(f"{own}: the name map is a YAML mapping with tables/columns/words/endings: fix the file")
        for section in ("columns", "words", "endings"):
            merged[section].update(_upper_keys(layer.get(section)))
        for table, columns in (layer.get("tables") or {}).items():
            merged["tables"].setdefault(str(table).lower(), {}).update(_upper_keys(columns))
        for section, values in lists.items():
            values.extend(str(value) for value in layer.get(section) or [])
    return NameMap(
        tables=merged["tables"],
        columns=merged["columns"],
        words=merged["words"],
        endings=merged["endings"],
        identifiers=frozenset(lists["identifiers"]),
        text_endings=tuple(lists["text_endings"]),
        numeric_endings=tuple(lists["numeric_endings"]),
    )


def infer_kind(values: Iterable[str]) -> str:
    """The type the text values hold: integer, bigint, numeric, date, timestamp, or text."""
    kinds = set()
    largest = 0
    for value in values:
        value = value.strip()
        if INTEGER.match(value):
            kinds.add("integer")
            largest = max(largest, abs(int(value)))
        elif DECIMAL.match(value):
            kinds.add("numeric")
        elif ISO_DATE.match(value) and _valid(date.fromisoformat, value):
            kinds.add("date")
        elif ISO_TIMESTAMP.match(value) and _valid(datetime.fromisoformat, value):
            kinds.add("timestamp")
        else:
            return "text"
    if not kinds:
        return "text"
    if kinds <= {"integer"}:
        return "bigint" if largest > INT32 else "integer"
    if kinds <= {"integer", "numeric"}:
        return "numeric"
    if kinds <= {"date", "timestamp"}:
        return "timestamp" if "timestamp" in kinds else "date"
    return "text"


def _valid(parse: Any, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Column:
    raw: str  # as the warehouse holds it
    name: str  # friendly
    kind: str  # text, integer, bigint, numeric, date, timestamp (no cast for text)
    group: str
    # a date or time not written the ISO way: parsed with the format the source YAML declares (macro parse_date)
    format: str | None = None

    @property
    def expression(self) -> str:
        reference = self.raw.lower() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.raw) else f'"{self.raw}"'
        if self.format is not None:
            return f"{{{{ parse_{self.kind}('{reference}') }}}} as {self.name}"
        if self.kind in CAST_TYPES:
            return f"cast({reference} as {CAST_TYPES[self.kind]}) as {self.name}"
        return f"{reference} as {self.name}"


def plan_columns(
    names: NameMap, source: str, table: str, raw: Sequence[tuple[str, str, Sequence[str] | None]]
) -> list[Column]:
    """(raw name, warehouse type, sampled text values or None when not text) -> columns in banner order."""
    planned = []
    for column, data_type, values in raw:
        name = names.friendly(source, table, column)
        is_text = values is not None and data_type.lower().startswith(TEXT_TYPES)
        kind = infer_kind(values) if is_text and values is not None else "text"
        if name.endswith(names.text_endings):
            kind = "text"
        elif name.endswith(names.numeric_endings) and kind in {"integer", "bigint"}:
            kind = "numeric"
        group = GROUP_OF_KIND.get(kind, "strings")
        if not is_text:
            kind = "text"  # already typed in the warehouse: renamed only, grouped by its type
            typed = data_type.lower()
            if any(word in typed for word in ("int", "numeric", "decimal", "double", "float", "real")):
                group = "numerics"
            elif "date" in typed or "time" in typed:
                group = "dates"
        if name.endswith("_id") or name in names.identifiers:
            group = "ids"
        planned.append(Column(column, name, kind, group))
    duplicates = sorted({column.name for column in planned if [c.name for c in planned].count(column.name) > 1})
    if duplicates:
        raise UserError(
            f"{source}.{table}: the name map gives several columns the name(s) {', '.join(duplicates)}: "
            f"add whole-name entries for them under `tables: {source}.{table}:` in {PROJECT_NAME_MAP}"
        )
    return sorted(planned, key=lambda column: GROUPS.index(column.group))


def render_sql(source: str, table: str, columns: Sequence[Column]) -> str:
    """The staging model in the project's style: import CTE, `renamed` with banner comments, final select."""
    body: list[str] = []
    for group in GROUPS:
        members = [column for column in columns if column.group == group]
        if not members:
            continue
        if body:
            body.append("")
        body.append(f"        ---------- {group}")
        body.extend(f"        {column.expression}," for column in members)
    body[-1] = body[-1].removesuffix(",")
    lines = [
        "with",
        "",
        "source as (",
        "",
        f"    select * from {{{{ source('{source}', '{table}') }}}}",
        "",
        "),",
        "",
        "renamed as (",
        "",
        "    select",
        *body,
        "",
        "    from source",
        "",
        ")",
        "",
        "select * from renamed",
    ]
    return "\n".join(lines) + "\n"


def model_name(source: str, table: str) -> str:
    return f"stg_{snake(source)}__{snake(table)}"


def _description(name: str, docs: set[str]) -> str:
    return f"{{{{ doc('{name}') }}}}" if name in docs else PLACEHOLDER


def source_entry(table: str, raw_columns: Sequence[str]) -> dict[str, Any]:
    return {
        "name": table,
        "description": TABLE_PLACEHOLDER,
        "columns": [{"name": column, "description": PLACEHOLDER} for column in raw_columns],
    }


def model_entry(source: str, table: str, columns: Sequence[Column], docs: set[str]) -> dict[str, Any]:
    return {
        "name": model_name(source, table),
        "description": MODEL_PLACEHOLDER,
        "columns": [{"name": column.name, "description": _description(column.name, docs)} for column in columns],
    }


def sources_file(source: str, schema: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 2,
        "sources": [{"name": source, "description": SOURCE_PLACEHOLDER, "schema": schema, "tables": [entry]}],
    }


def models_file(entry: dict[str, Any]) -> dict[str, Any]:
    return {"version": 2, "models": [entry]}


def dump(data: Any, indent: int = 0) -> str:
    """YAML as the project writes it: block style, keys in the given order, lists indented under their key."""

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
            return super().increase_indent(flow, False)

    def quoted(dumper: yaml.SafeDumper, value: str) -> Any:
        style = '"' if re.search(r"[\s:;{}'#\[\],&*!|>%@`]", value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, quoted)

    text = yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)
    for key in ("sources", "models", "snapshots"):
        text = text.replace(f"\n{key}:", f"\n\n{key}:")
    return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def doc_names(project_root: Path) -> set[str]:
    """Names of the doc blocks the project has, so a column with a shared description reuses it."""
    names: set[str] = set()
    for path in (project_root / "models").rglob("*.md"):
        names.update(re.findall(r"{%-?\s*docs\s+(\w+)\s*-?%}", path.read_text(encoding="utf-8")))
    return names
