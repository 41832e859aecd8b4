"""What the warehouse holds in a raw schema: tables, their columns and types, and a sample of their values.

information_schema answers on DuckDB and PostgreSQL alike; names are compared without case, since DuckDB keeps
the CSV header's case and PostgreSQL folds unquoted names to lower case.
"""

from __future__ import annotations

from dataprodukt.core.warehouse import Warehouse


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def list_tables(warehouse: Warehouse, schema: str) -> list[str]:
    rows = warehouse.query(
        "select table_name from information_schema.tables "
        f"where lower(table_schema) = lower({_literal(schema)}) order by table_name"
    )
    return [str(name) for (name,) in rows]


def table_columns(warehouse: Warehouse, schema: str, table: str) -> list[tuple[str, str]]:
    """(column, data type) in the table's column order; empty when the table does not exist."""
    rows = warehouse.query(
        "select column_name, data_type from information_schema.columns "
        f"where lower(table_schema) = lower({_literal(schema)}) and lower(table_name) = lower({_literal(table)}) "
        "order by ordinal_position"
    )
    return [(str(name), str(kind)) for name, kind in rows]


def sample_values(warehouse: Warehouse, schema: str, table: str, column: str, limit: int = 10_000) -> list[str]:
    """Up to ``limit`` distinct non-empty values of a column, as text."""
    name = _quoted(column)
    rows = warehouse.query(
        f"select distinct cast({name} as varchar(4000)) from {_quoted(schema)}.{_quoted(table)} "
        f"where {name} is not null limit {int(limit)}"
    )
    return [str(value) for (value,) in rows if value is not None and str(value).strip() != ""]
