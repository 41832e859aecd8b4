"""Where each column comes from, back to the source columns: column lineage over the whole DAG.

For one model, sqlglot's own column lineage (``sqlglot.lineage``) over its compiled SQL gives the columns of the
relations it reads that each output column is computed from (through CTEs, joins, aggregates and ``select *``,
with the columns catalog.json knows). Each of those relations is a dbt node; its columns are followed the same way
until a source (or a seed) is reached. A snapshot passes its relation's columns through by name. What sqlglot can't
read leaves the column's origin unknown (an empty list), never an error: this feeds a page, not a check.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage

DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "bigquery": "bigquery", "redshift": "redshift"}
LEAVES = {"source", "seed"}

Column = tuple[str, str]  # (unique_id, column name in lower case)


class ColumnLineage:
    """Resolves (node, column) to the source and seed columns it is computed from; each node is read once."""

    def __init__(self, manifest: dict[str, Any], catalog: dict[str, Any] | None = None) -> None:
        self.dialect = DIALECTS.get(str(manifest.get("metadata", {}).get("adapter_type", "")))
        self.nodes: dict[str, dict[str, Any]] = {**manifest.get("sources", {}), **manifest.get("nodes", {})}
        self.catalog = {**((catalog or {}).get("sources") or {}), **((catalog or {}).get("nodes") or {})}
        self.relations: dict[tuple[str, ...], str] = {}
        for unique_id, node in self.nodes.items():
            key = self._key(node.get("relation_name"))
            if key and node.get("resource_type") in {"model", "snapshot", "seed", "source"}:
                self.relations[key] = unique_id
        self._tables: dict[str, Any] | None = None
        self._direct: dict[str, dict[str, set[Column]]] = {}
        self._origins: dict[Column, set[Column]] = {}

    def _key(self, relation: object) -> tuple[str, ...] | None:
        if not relation:
            return None
        try:
            table = exp.to_table(str(relation), dialect=self.dialect)
        except SqlglotError:
            return None
        return tuple(part.name.lower() for part in table.parts)

    def columns(self, unique_id: str) -> dict[str, str]:
        """The node's columns (lower case -> as written): the warehouse's (catalog.json), else the YAML's."""
        known = (self.catalog.get(unique_id) or {}).get("columns") or (self.nodes.get(unique_id) or {}).get("columns")
        return {str(name).lower(): str((column or {}).get("name") or name) for name, column in (known or {}).items()}

    def _schema(self) -> dict[str, Any]:
        if self._tables is not None:
            return self._tables
        schema: dict[str, Any] = {}
        for key, unique_id in self.relations.items():
            columns = self.columns(unique_id)
            if columns and len(key) == 3:
                schema.setdefault(key[0], {}).setdefault(key[1], {})[key[2]] = dict.fromkeys(columns, "text")
        self._tables = schema
        return schema

    def direct(self, unique_id: str) -> dict[str, set[Column]]:
        """Output column -> the columns of upstream nodes it is computed from (one query's lineage)."""
        if unique_id not in self._direct:
            try:
                self._direct[unique_id] = self._read(unique_id)
            except (SqlglotError, RecursionError, ValueError, KeyError, AttributeError):
                self._direct[unique_id] = {}
        return self._direct[unique_id]

    def _read(self, unique_id: str) -> dict[str, set[Column]]:
        sql = str(self.nodes[unique_id].get("compiled_code") or "").strip()
        if not sql:
            return {}
        statements = [item for item in sqlglot.parse(sql, read=self.dialect) if item is not None]
        if not statements:
            return {}
        # trim_selects would copy each query once per column, for a display we do not use
        found = lineage(None, statements[-1], self._schema(), dialect=self.dialect, trim_selects=False)
        result: dict[str, set[Column]] = {}
        for name, root in found.items() if isinstance(found, dict) else []:
            result[str(name).lower()] = {leaf for node in root.walk() if (leaf := self._leaf(node)) is not None}
        return result

    def _leaf(self, node: Node) -> Column | None:
        if node.downstream or not isinstance(node.source, exp.Table):
            return None
        unique_id = self.relations.get(tuple(part.name.lower() for part in node.source.parts))
        if unique_id is None:
            return None
        return unique_id, node.name.rsplit(".", 1)[-1].strip('"').lower()

    def origins(self, unique_id: str, column: str) -> set[Column]:
        """The source and seed columns ``column`` of ``unique_id`` is computed from (empty when unknown)."""
        key = (unique_id, column.lower())
        if key in self._origins:
            return self._origins[key]
        self._origins[key] = set()  # a cycle adds nothing
        node = self.nodes.get(unique_id) or {}
        kind = node.get("resource_type")
        if kind in LEAVES:
            found = {key}
        else:
            inputs = self.direct(unique_id).get(key[1], set())
            found = set().union(*(self.origins(*item) for item in inputs)) if inputs else set()
        self._origins[key] = found
        return found

    def label(self, column: Column) -> str:
        """``aareg.arbeidsforhold.FNR`` (source), ``fylker.fylkesnavn`` (seed): as the warehouse spells it."""
        unique_id, name = column
        node = self.nodes.get(unique_id) or {}
        written = self.columns(unique_id).get(name, name)
        if node.get("resource_type") == "source":
            return f"{node.get('source_name')}.{node.get('name')}.{written}"
        return f"{node.get('name', unique_id)}.{written}"
