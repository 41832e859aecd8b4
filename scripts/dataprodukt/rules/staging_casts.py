"""Which casts a staging model may make: a cast changes a value's type or representation, never the value.

A cast of a raw (text) column is allowed when the engine **fails** on a value it can't represent, so a bad value
fails the build instead of changing: text to an integer, a decimal, a boolean, a date, a timestamp, a time or a
uuid, and text to text without a length. From a column whose type is declared (``data_type`` in the source's
YAML), only widening casts are allowed. Refused, with what to do instead:

- ``TRY_CAST`` / BigQuery ``SAFE_CAST``: a value it can't cast becomes NULL without an error;
- text with a length (``varchar(n)``, ``char``, ``char(n)``, ``bpchar``, BigQuery ``STRING(n)``): PostgreSQL cuts the
  value to n characters (``char`` pads it), DuckDB ignores the limit: the same model differs per engine;
- floating point (``real``, ``double``, ``FLOAT64``): it keeps about 15 significant digits and rounds the rest;
- a cast that narrows a declared type (``numeric(10,4)`` to ``numeric(10,2)``, ``double`` to ``integer``,
  ``timestamp`` to ``date``, ``bigint`` to ``integer``), and any type not listed above.

What each engine still changes without an error (DuckDB rounds ``'1.5'`` to the integer 2, every engine rounds a
decimal beyond its scale) is measured by tests/test_staging_casts.py and listed in docs/staging.md.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.expressions import DType
from sqlglot.tokenizer_core import TokenType

Type = DType

TEXT = frozenset({Type.TEXT, Type.VARCHAR, Type.NVARCHAR, Type.LONGTEXT, Type.MEDIUMTEXT, Type.TINYTEXT})
FIXED_TEXT = frozenset({Type.CHAR, Type.NCHAR, Type.BPCHAR})
SIGNED_BITS = {Type.TINYINT: 8, Type.SMALLINT: 16, Type.MEDIUMINT: 24, Type.INT: 32, Type.BIGINT: 64, Type.INT128: 128}
UNSIGNED_BITS = {
    Type.UTINYINT: 8,
    Type.USMALLINT: 16,
    Type.UMEDIUMINT: 24,
    Type.UINT: 32,
    Type.UBIGINT: 64,
    Type.UINT128: 128,
}
# integer type -> (lowest, highest) value
INTEGERS: dict[DType, tuple[int, int]] = {
    **{kind: (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for kind, bits in SIGNED_BITS.items()},
    **{kind: (0, 2**bits - 1) for kind, bits in UNSIGNED_BITS.items()},
}
DECIMALS = frozenset({Type.DECIMAL, Type.BIGDECIMAL, Type.DECIMAL32, Type.DECIMAL64, Type.DECIMAL128})
FLOATS = {Type.FLOAT: 32, Type.DOUBLE: 64}
DATES = frozenset({Type.DATE, Type.DATE32})
TIMESTAMPS = frozenset(
    {
        Type.TIMESTAMP,
        Type.TIMESTAMPTZ,
        Type.TIMESTAMPLTZ,
        Type.TIMESTAMPNTZ,
        Type.DATETIME,
        Type.TIMESTAMP_S,
        Type.TIMESTAMP_MS,
        Type.TIMESTAMP_NS,
    }
)
# what a raw text column may be cast to: the engine fails on a text it can't read as one of these
FROM_TEXT = frozenset({*TEXT, *INTEGERS, *DECIMALS, Type.BOOLEAN, *DATES, *TIMESTAMPS, Type.TIME, Type.UUID})
# (precision, scale) of a decimal written without them; None: unlimited (PostgreSQL's numeric)
DECIMAL_DEFAULTS: dict[str, dict[DType, tuple[int | None, int | None]]] = {
    "bigquery": {Type.DECIMAL: (38, 9), Type.BIGDECIMAL: (76, 38)},
    "duckdb": {Type.DECIMAL: (18, 3)},
}
SAFE_NAMES = {"bigquery": "SAFE_CAST"}


def type_of(text: str, dialect: str) -> exp.DataType | None:
    """A declared type (``data_type`` in YAML, or the warehouse's name for it); None when it can't be read."""
    try:
        return exp.DataType.build(text, dialect=READ.get(dialect, dialect) or None)
    except Exception:  # sqlglot raises several error types for an unknown type name
        return None


def cast_problem(to: exp.DataType, source: exp.DataType | None, dialect: str, safe: bool = False) -> str | None:
    """Why a staging model may not cast a source column of type ``source`` (None: text) to ``to``, with what to do
    instead; None when the cast is allowed."""
    shown = _shown(to, dialect)
    if safe:
        name = SAFE_NAMES.get(dialect, "TRY_CAST")
        return (
            f"{name} turns a value it can't cast into NULL without an error: write CAST(... AS {shown}), so a bad "
            "value fails the build"
        )
    if to.this in FIXED_TEXT or (to.this in TEXT and to.expressions):
        return (
            f"cast to {shown} limits the length: PostgreSQL cuts longer text (char pads shorter), DuckDB ignores the "
            "limit: cast to text without a length (varchar, text, string) and test lengths with a data test"
        )
    if to.this in FLOATS and (source is None or source.this not in FLOATS or FLOATS[source.this] > FLOATS[to.this]):
        return (
            f"cast to {shown} keeps about 15 significant digits and rounds the rest without an error: cast to an "
            "exact numeric ({{ dbt.type_numeric() }}) instead"
        )
    if source is None or source.this in TEXT:
        if to.this in FROM_TEXT:
            return None
        return (
            f"cast to {shown} is not on the staging allow-list of casts (docs/staging.md): keep the column as "
            "delivered and convert it in an intermediate model"
        )
    if not _widens(source, to, dialect):
        return (
            f"cast from {_shown(source, dialect)} to {shown} narrows the type: values are rounded, cut "
            "or refused: cast to a type that holds every value of the source (or keep the type)"
        )
    return None


def _shown(kind: exp.DataType, dialect: str) -> str:
    """A type as the user wrote it, near enough (sqlglot writes DuckDB's VARCHAR(n) as TEXT(n))."""
    keep_length = dialect == "duckdb" and (kind.this in TEXT or kind.this in FIXED_TEXT)
    return kind.sql(dialect=None if keep_length else dialect or None)


def _widens(source: exp.DataType, to: exp.DataType, dialect: str) -> bool:
    """``to`` holds every value of ``source`` as it is (or as text)."""
    if to.this in TEXT:
        return True
    if source.this in INTEGERS and to.this in INTEGERS:
        low, high = INTEGERS[source.this]
        return INTEGERS[to.this][0] <= low and high <= INTEGERS[to.this][1]
    if source.this in INTEGERS and to.this in DECIMALS:
        precision, scale = _decimal(to, dialect)
        low, high = INTEGERS[source.this]
        return precision is None or precision - (scale or 0) >= len(str(max(-low, high)))
    if source.this in DECIMALS and (to.this in DECIMALS or to.this in INTEGERS):
        return _decimal_fits(_decimal(source, dialect), to, dialect)
    if source.this in DATES:
        return to.this in DATES | TIMESTAMPS
    if source.this in TIMESTAMPS:
        return to.this in TIMESTAMPS
    if source.this in FLOATS:
        return to.this in FLOATS and FLOATS[to.this] >= FLOATS[source.this]
    return bool(source.this == to.this and source.expressions == to.expressions)


def _decimal_fits(source: tuple[int | None, int | None], to: exp.DataType, dialect: str) -> bool:
    precision, scale = source
    if to.this in INTEGERS:
        digits = len(str(INTEGERS[to.this][1])) - 1  # every whole number of this many digits fits
        return scale == 0 and precision is not None and precision <= digits
    to_precision, to_scale = _decimal(to, dialect)
    if to_precision is None:
        return True
    if precision is None or scale is None or to_scale is None:
        return False
    return to_scale >= scale and to_precision - to_scale >= precision - scale


def _decimal(kind: exp.DataType, dialect: str) -> tuple[int | None, int | None]:
    """(precision, scale) of a decimal type; (None, None) when unlimited."""
    params = [int(param.name) for param in kind.expressions if param.name.isdigit()]
    if params:
        return params[0], params[1] if len(params) > 1 else 0
    return DECIMAL_DEFAULTS.get(dialect, {}).get(kind.this, (None, None))


class _DuckDBWithLengths(DuckDB):
    """DuckDB as sqlglot reads it, except that VARCHAR(n) and CHAR(n) keep their length: DuckDB ignores it, but
    the same model cuts text on PostgreSQL, so the staging check has to see it."""

    class Tokenizer(DuckDB.Tokenizer):
        KEYWORDS: ClassVar[dict[str, TokenType]] = {
            **DuckDB.Tokenizer.KEYWORDS,
            "VARCHAR": TokenType.VARCHAR,
            "CHAR": TokenType.CHAR,
            "BPCHAR": TokenType.BPCHAR,
        }


# how a dialect's SQL is read when it differs from sqlglot's own dialect of that name
READ: dict[str, type[DuckDB]] = {"duckdb": _DuckDBWithLengths}
