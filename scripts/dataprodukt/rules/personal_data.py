"""Which columns hold personal data: declared where data enters, carried through the DAG by column lineage.

A column's class is one of Datadoc's ``is_personal_data`` values, ordered from least to most personal:
NOT_PERSONAL_DATA < PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA < NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA.
Classes are declared in column ``meta.is_personal_data`` (sources, staging, seeds, any model) and propagate by
column lineage computed with sqlglot from each model's compiled SQL, in the target's dialect:

- a derived column takes the most personal class of the columns it is computed from (joins and filters don't count);
- an aggregate that reduces persons (count, count distinct, sum, avg, stddev, variance) is not personal, unless the
  GROUP BY has a personal key: then it is as personal as that key (a count per person is data about the person);
  min/max/any_value/array_agg return input values and pass the class through;
- the ``pseudonymize`` macro's compiled shape, ``sha256(<64-byte hex pad> || sha256(<64-byte hex pad> || value))``,
  makes personal input PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA (a plain unkeyed hash does not: it is reversible);
- a snapshot passes each column of its relation through by name; its history columns are not personal;
- a column declared more personal than its lineage keeps the declaration (that is where data enters); declared
  less personal, it keeps the lineage's class and :func:`trace` reports the contradiction.
Where the SQL can't be analysed, every column of the node gets the most personal class among its inputs
(fail closed) and the reason is kept in ``Lineage.problems``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from dataprodukt.core.errors import UserError

NOT_PERSONAL = "NOT_PERSONAL_DATA"
PSEUDONYMISED = "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
PERSONAL = "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
CLASSES = (NOT_PERSONAL, PSEUDONYMISED, PERSONAL)
RANK = {name: rank for rank, name in enumerate(CLASSES)}
META_KEY = "is_personal_data"
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "bigquery": "bigquery", "redshift": "redshift"}
SNAPSHOT_COLUMNS = {
    "dbt_valid_from": "dbt_valid_from",
    "dbt_valid_to": "dbt_valid_to",
    "dbt_scd_id": "dbt_scd_id",
    "dbt_updated_at": "dbt_updated_at",
    "dbt_is_deleted": "dbt_is_deleted",
}
# aggregates whose result no longer shows any one input value
REDUCING = (
    exp.Count,
    exp.CountIf,
    exp.Sum,
    exp.Avg,
    exp.Stddev,
    exp.StddevPop,
    exp.StddevSamp,
    exp.Variance,
    exp.VariancePop,
    exp.ApproxDistinct,
)
HASHES = (exp.SHA2, exp.SHA2Digest, exp.SHA)
PAD = re.compile(r"^[0-9a-fA-F]{128}$")


@dataclass(frozen=True)
class Origin:
    """A column's class and the declared column it comes from (``node.column``; None when not personal)."""

    klass: str = NOT_PERSONAL
    upstream: str | None = None

    @property
    def rank(self) -> int:
        return RANK[self.klass]


NOT = Origin()


def most(origins: Iterable[Origin]) -> Origin:
    """The most personal of ``origins`` (the first one on a tie)."""
    best = NOT
    for origin in origins:
        if origin.rank > best.rank:
            best = origin
    return best


def pseudonymised(origin: Origin) -> Origin:
    return Origin(PSEUDONYMISED, origin.upstream) if origin.rank else NOT


@dataclass
class Lineage:
    """Every node's columns with their origin, what each column declares, and nodes that could not be analysed."""

    columns: dict[str, dict[str, Origin]] = field(default_factory=dict)
    declared: dict[tuple[str, str], str] = field(default_factory=dict)
    invalid: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def classify(manifest: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """``(unique_id, column) -> (is_personal_data, upstream column or None)`` for every source, seed, snapshot and
    model of a compiled manifest (``compiled_code`` present: after ``dbt compile``, ``run`` or ``build``)."""
    uncompiled = sorted(
        node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and not node.get("compiled_code")
    )
    if uncompiled:
        raise UserError(
            f"the manifest has no compiled SQL for {len(uncompiled)} model(s) ({', '.join(uncompiled[:5])}): "
            "classify a manifest written by `dbt compile`, `dbt build` or `dbt docs generate` over the whole project"
        )
    lineage = trace(manifest)
    return {
        (unique_id, column): (origin.klass, origin.upstream)
        for unique_id, columns in lineage.columns.items()
        for column, origin in columns.items()
    }


def trace(manifest: dict[str, Any]) -> Lineage:
    """Compute the class of every column, node by node in dependency order."""
    dialect = DIALECTS.get(str(manifest.get("metadata", {}).get("adapter_type", "")))
    nodes: dict[str, dict[str, Any]] = {
        unique_id: node
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") in {"model", "snapshot", "seed"}
    }
    nodes.update(manifest.get("sources", {}))
    lineage = Lineage()
    relations: dict[tuple[str, ...], str] = {}
    for unique_id, node in nodes.items():
        key = _relation_key(node.get("relation_name"), dialect)
        if key:
            relations[key] = unique_id
    for unique_id in _ordered(nodes):
        node = nodes[unique_id]
        declared = _declared(unique_id, node, lineage)
        try:
            computed = _compute(unique_id, node, nodes, relations, lineage, dialect)
        except Exception as error:  # any failure to analyse must fail closed, never crash the check
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            lineage.problems[unique_id] = reason[:300]
            inputs = [o for parent in _parents(node) for o in lineage.columns.get(parent, {}).values()]
            computed = {name: most(inputs) for name in _declared_columns(node)}
        label = _label(node)
        for column, klass in declared.items():
            origin = computed.get(column, NOT)
            if RANK[klass] > origin.rank:
                computed[column] = Origin(klass, f"{label}.{column}")
        lineage.columns[unique_id] = computed
    return lineage


def _label(node: dict[str, Any]) -> str:
    if node.get("resource_type") == "source":
        return f"{node['source_name']}.{node['name']}"
    return str(node["name"])


def _parents(node: dict[str, Any]) -> list[str]:
    return list(node.get("depends_on", {}).get("nodes", []) or [])


def _ordered(nodes: dict[str, dict[str, Any]]) -> list[str]:
    """Node ids with every parent before its children (depth-first, stable)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(unique_id: str, path: tuple[str, ...]) -> None:
        if unique_id in seen or unique_id not in nodes or unique_id in path:
            return
        for parent in _parents(nodes[unique_id]):
            visit(parent, (*path, unique_id))
        seen.add(unique_id)
        done.append(unique_id)

    for unique_id in sorted(nodes):
        visit(unique_id, ())
    return done


def _declared_columns(node: dict[str, Any]) -> list[str]:
    return [str(name).lower() for name in node.get("columns", {})]


def _declared(unique_id: str, node: dict[str, Any], lineage: Lineage) -> dict[str, str]:
    """Explicit ``meta.is_personal_data`` per column (column meta or column config meta)."""
    found = {}
    for name, column in node.get("columns", {}).items():
        meta = {**(column.get("config", {}) or {}).get("meta", {}), **(column.get("meta") or {})}
        if META_KEY not in meta:
            continue
        value = str(meta[META_KEY]).strip()
        if value not in RANK:
            lineage.invalid[(unique_id, name.lower())] = value
            continue
        found[name.lower()] = value
        lineage.declared[(unique_id, name.lower())] = value
    return found


def _relation_key(relation_name: object, dialect: str | None) -> tuple[str, ...] | None:
    if not relation_name:
        return None
    try:
        table = exp.to_table(str(relation_name), dialect=dialect)
    except SqlglotError:
        return None
    return tuple(part.name.lower() for part in table.parts)


def _compute(
    unique_id: str,
    node: dict[str, Any],
    nodes: dict[str, dict[str, Any]],
    relations: dict[tuple[str, ...], str],
    lineage: Lineage,
    dialect: str | None,
) -> dict[str, Origin]:
    kind = node.get("resource_type")
    if kind == "source":
        return {name: NOT for name in _declared_columns(node)}
    if kind == "seed":
        return {name: NOT for name in (_declared_columns(node) or _seed_header(node))}
    if kind == "snapshot":
        return _snapshot(node, lineage)
    sql = node.get("compiled_code")
    if not sql:
        raise ValueError("no compiled SQL in the manifest: run `dbt compile` (or `dataprodukt check`) first")
    return _model(sql, dialect, nodes, relations, lineage)


def _seed_header(node: dict[str, Any]) -> list[str]:
    path = Path(str(node.get("root_path", "."))) / str(node.get("original_file_path", ""))
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [name.strip().lower() for name in next(csv.reader(handle), [])]


def _snapshot(node: dict[str, Any], lineage: Lineage) -> dict[str, Origin]:
    """History passes its relation's columns through by name; the history columns themselves are not personal."""
    parents = _parents(node)
    if len(parents) != 1:
        raise ValueError(f"a snapshot should read one relation, this one reads {len(parents)}")
    columns = dict(lineage.columns.get(parents[0], {}))
    names = {**SNAPSHOT_COLUMNS, **(node.get("config", {}).get("snapshot_meta_column_names") or {})}
    for name in names.values():
        columns.setdefault(str(name).lower(), NOT)
    return columns


def _model(
    sql: str,
    dialect: str | None,
    nodes: dict[str, dict[str, Any]],
    relations: dict[tuple[str, ...], str],
    lineage: Lineage,
) -> dict[str, Origin]:
    statements = [statement for statement in sqlglot.parse(sql, read=dialect) if statement is not None]
    if not statements:
        raise ValueError("the compiled SQL holds no statement")
    schema: dict[str, Any] = {}
    for key, unique_id in relations.items():
        columns = lineage.columns.get(unique_id)
        if columns and len(key) == 3:
            schema.setdefault(key[0], {}).setdefault(key[1], {})[key[2]] = {name: "text" for name in columns}
    tree = qualify(
        statements[-1],
        dialect=dialect,
        schema=schema or None,
        validate_qualify_columns=False,
        quote_identifiers=False,
    )
    root = build_scope(tree)
    if root is None:
        raise ValueError("the compiled SQL is not a query")
    tracer = _Tracer(relations, lineage)
    return {name: tracer.output(root, name) for name in _output_names(root)}


def _output_names(scope: Scope) -> list[str]:
    expression = scope.expression
    while isinstance(expression, exp.SetOperation):
        expression = expression.this
    if isinstance(expression, exp.Subquery):
        expression = expression.unnest()
    return [select.alias_or_name.lower() for select in getattr(expression, "selects", [])]


class _Tracer:
    """Resolves the origin of output columns through a query's scopes (CTEs, subqueries, unions)."""

    def __init__(self, relations: dict[tuple[str, ...], str], lineage: Lineage) -> None:
        self.relations = relations
        self.lineage = lineage
        self.memo: dict[tuple[int, str], Origin] = {}

    def output(self, scope: Scope, name: str) -> Origin:
        key = (id(scope), name)
        if key not in self.memo:
            self.memo[key] = NOT  # a recursive CTE refers to itself: its own rows add nothing new
            self.memo[key] = self._output(scope, name)
        return self.memo[key]

    def _output(self, scope: Scope, name: str) -> Origin:
        if scope.set_operation_scopes:
            # union branches line up by position; the names are the first branch's
            names = _output_names(scope)
            if name not in names:
                return NOT
            position = names.index(name)
            return most(
                self.output(branch, _output_names(branch)[position])
                for branch in scope.set_operation_scopes
                if len(_output_names(branch)) > position
            )
        selects = getattr(scope.expression, "selects", [])
        for select in selects:
            if select.alias_or_name.lower() == name:
                return self.expression(select.unalias(), scope)
        # an unexpanded star (unknown upstream columns): assume the worst of every input
        if any(isinstance(select, exp.Star) or select.is_star for select in selects):
            return most(self.everything(source) for source in scope.sources.values())
        return NOT

    def everything(self, source: Any) -> Origin:
        if isinstance(source, Scope):
            return most(self.output(source, name) for name in _output_names(source))
        unique_id = self._table(source)
        return most(self.lineage.columns.get(unique_id, {}).values()) if unique_id else NOT

    def _table(self, table: Any) -> str | None:
        if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
            return None
        return self.relations.get(tuple(part.name.lower() for part in table.parts))

    def column(self, column: exp.Column, scope: Scope) -> Origin:
        name = column.name.lower()
        current: Scope | None = scope
        while current is not None:
            if column.table:
                source = current.sources.get(column.table)
                if source is not None:
                    return self.from_source(source, name, exact=True) or NOT
            else:
                # unqualified (qualify could not place it): the worst of every source that has such a column
                found = [self.from_source(source, name, exact=False) for source in current.sources.values()]
                if any(origin is not None for origin in found):
                    return most(origin for origin in found if origin is not None)
            current = current.parent
        return NOT

    def from_source(self, source: Any, name: str, exact: bool) -> Origin | None:
        """The origin of column ``name`` read from ``source``; None when the source has no such column (inexact)."""
        if isinstance(source, Scope):
            if name in _output_names(source) or exact:
                return self.output(source, name)
            return None
        unique_id = self._table(source)
        if unique_id is None:
            return NOT if exact else None  # a table function or a relation dbt does not know: nothing declared there
        columns = self.lineage.columns.get(unique_id, {})
        if name in columns:
            return columns[name]
        return most(columns.values()) if exact else None

    def expression(self, node: exp.Expression, scope: Scope) -> Origin:
        if isinstance(node, exp.Column):
            return self.column(node, scope)
        if isinstance(node, HASHES) and _is_pseudonymisation(node):
            inner = next(child for child in node.this.find_all(*HASHES))
            rest = [self.expression(child, scope) for child in _outside(node, inner)]
            return most([pseudonymised(self.expression(inner, scope)), *rest])
        if isinstance(node, exp.Window):
            # a window keeps one row per input row; its function's arguments pass through
            return most(self.expression(child, scope) for child in node.this.iter_expressions())
        if isinstance(node, REDUCING):
            return self.group_keys(scope)
        if isinstance(node, (exp.Subquery, exp.Select)):
            inner_scope = next(
                (child for child in scope.subquery_scopes if child.expression in (node, node.unnest())), None
            )
            if inner_scope is None:
                return NOT
            names = _output_names(inner_scope)
            return self.output(inner_scope, names[0]) if names else NOT
        return most(self.expression(child, scope) for child in node.iter_expressions())

    def group_keys(self, scope: Scope) -> Origin:
        group = scope.expression.args.get("group") if isinstance(scope.expression, exp.Select) else None
        if not group:
            return NOT
        return most(self.expression(key, scope) for key in group.expressions)


def _is_pseudonymisation(node: exp.Expression) -> bool:
    """sha256(pad || sha256(pad || value)) with 64-byte hex pads: HMAC-SHA-256 as the pseudonymize macro writes it."""
    inner = next(node.this.find_all(*HASHES), None) if node.this is not None else None
    if inner is None:
        return False
    inner_pads = [lit for lit in inner.find_all(exp.Literal) if lit.is_string and PAD.match(lit.this)]
    outer_pads = [
        lit
        for child in _outside(node, inner)
        for lit in child.find_all(exp.Literal)
        if lit.is_string and PAD.match(lit.this)
    ]
    return bool(inner_pads) and bool(outer_pads)


def _outside(node: exp.Expression, inner: exp.Expression) -> list[exp.Expression]:
    """The maximal subtrees of ``node`` (below it) that don't contain ``inner``."""
    parts: list[exp.Expression] = []

    def walk(current: exp.Expression) -> None:
        for child in current.iter_expressions():
            if child is inner:
                continue
            if any(descendant is inner for descendant in child.walk()):
                walk(child)
            else:
                parts.append(child)

    walk(node)
    return parts
