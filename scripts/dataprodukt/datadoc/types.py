"""Warehouse column types (as catalog.json reports them) -> Datadoc data types and Table Schema types.

Each engine spells its types its own way: DuckDB ``INTEGER``/``VARCHAR``/``DECIMAL(28,6)``, PostgreSQL
``integer``/``character varying(100)``/``timestamp without time zone``, BigQuery ``INT64``/``STRING``/``NUMERIC``.
A type is first normalised (lower case, parameters dropped) to a *kind*, then mapped the way Datadoc maps Arrow
types: strings -> STRING, integers -> INTEGER, floats and decimals -> FLOAT, date/time/timestamp -> DATETIME,
bool -> BOOLEAN; arrays keep the element's type (``ARRAY[INTEGER]``).
"""

from __future__ import annotations

import re

# kind -> (Datadoc data_type, Frictionless Table Schema type)
KINDS: dict[str, tuple[str, str]] = {
    "string": ("STRING", "string"),
    "integer": ("INTEGER", "integer"),
    "number": ("FLOAT", "number"),
    "date": ("DATETIME", "date"),
    "time": ("DATETIME", "time"),
    "datetime": ("DATETIME", "datetime"),
    "boolean": ("BOOLEAN", "boolean"),
}

# base type name (lower case, no parameters) -> kind; the union of DuckDB, PostgreSQL and BigQuery spellings
_BASE: dict[str, str] = {
    # strings and bytes
    **dict.fromkeys(
        (
            "varchar", "char", "bpchar", "text", "string", "character", "character varying", "nvarchar", "uuid",
            "json", "jsonb", "blob", "bytea", "bytes", "enum", "citext", "name",
        ),
        "string",
    ),
    # integers
    **dict.fromkeys(
        (
            "tinyint", "smallint", "integer", "int", "int2", "int4", "int8", "bigint", "hugeint", "utinyint",
            "usmallint", "uinteger", "ubigint", "uhugeint", "int64", "byteint", "serial", "bigserial", "smallserial",
        ),
        "integer",
    ),
    # floats and decimals
    **dict.fromkeys(
        (
            "decimal", "numeric", "bignumeric", "bigdecimal", "real", "float", "float4", "float8", "float64",
            "double", "double precision",
        ),
        "number",
    ),
    "date": "date",
    **dict.fromkeys(("time", "time without time zone", "time with time zone", "timetz"), "time"),
    **dict.fromkeys(
        (
            "timestamp", "datetime", "timestamptz", "timestamp without time zone", "timestamp with time zone",
            "timestamp_s", "timestamp_ms", "timestamp_ns", "timestamp_us",
        ),
        "datetime",
    ),
    **dict.fromkeys(("boolean", "bool", "logical"), "boolean"),
}  # fmt: skip

_PARAMETERS = re.compile(r"\([^)]*\)")
_SPACES = re.compile(r"\s+")


def normalise(type_name: str) -> str:
    """``DECIMAL(28,6)`` -> ``decimal``; ``character varying(100)`` -> ``character varying``."""
    return _SPACES.sub(" ", _PARAMETERS.sub("", type_name)).strip().lower()


def column_kind(type_name: str | None) -> str | None:
    """The kind of a warehouse type (``string``, ``integer``, ..., ``array:<kind>``); None when unknown."""
    if not type_name:
        return None
    base = normalise(type_name)
    element: str | None = None
    if base.endswith("[]"):  # DuckDB INTEGER[], PostgreSQL integer[]
        element = base[:-2]
    elif base.startswith("array<") and base.endswith(">"):  # BigQuery ARRAY<INT64>
        element = base[6:-1]
    elif base in {"array", "list"}:  # PostgreSQL's information_schema says only ARRAY
        return "array:"
    if element is not None:
        inner = column_kind(element)
        return None if inner is None or inner.startswith("array:") else f"array:{inner}"
    return _BASE.get(base)


def datadoc_type(kind: str | None) -> str | None:
    """Datadoc's ``data_type`` for a kind: STRING, INTEGER, FLOAT, DATETIME, BOOLEAN or ARRAY[...]."""
    if kind is None:
        return None
    if kind.startswith("array:"):
        inner = kind.split(":", 1)[1]
        return f"ARRAY[{KINDS[inner][0]}]" if inner else "ARRAY"
    return KINDS[kind][0]


def table_schema_type(kind: str | None) -> str:
    """The Frictionless Table Schema field type for a kind (``any`` when unknown)."""
    if kind is None:
        return "any"
    if kind.startswith("array:"):
        return "array"
    return KINDS[kind][1]
