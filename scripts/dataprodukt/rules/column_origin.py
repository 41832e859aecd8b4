"""Where each output column of one query comes from, and how personal it is: the column lineage of a single
compiled model, computed with sqlglot. The rules (which expressions reduce, pass through or pseudonymise a class)
are described in :mod:`dataprodukt.rules.personal_data`, which walks the whole DAG with this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from dataprodukt.core.pseudonym_key import KEY_TABLE, PAD_COLUMNS

NOT_PERSONAL = "NOT_PERSONAL_DATA"
PSEUDONYMISED = "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
PERSONAL = "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"
CLASSES = (NOT_PERSONAL, PSEUDONYMISED, PERSONAL)
RANK = {name: rank for rank, name in enumerate(CLASSES)}
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


def query_origins(
    sql: str,
    dialect: str | None,
    nodes: dict[str, dict[str, Any]],
    relations: dict[tuple[str, ...], str],
    columns: dict[str, dict[str, Origin]],
) -> dict[str, Origin]:
    statements = [statement for statement in sqlglot.parse(sql, read=dialect) if statement is not None]
    if not statements:
        raise ValueError("the compiled SQL holds no statement")
    schema: dict[str, Any] = {}
    for key, unique_id in relations.items():
        known = columns.get(unique_id)
        if known and len(key) == 3:
            schema.setdefault(key[0], {}).setdefault(key[1], {})[key[2]] = {name: "text" for name in known}
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
    tracer = _Tracer(relations, columns)
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

    def __init__(self, relations: dict[tuple[str, ...], str], columns: dict[str, dict[str, Origin]]) -> None:
        self.relations = relations
        self.columns = columns
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
        return most(self.columns.get(unique_id, {}).values()) if unique_id else NOT

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
        columns = self.columns.get(unique_id, {})
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
    """sha256((select opad from <key table>) || sha256((select ipad from <key table>) || value)): HMAC-SHA-256 as
    the pseudonymize macro writes it, the pads read from the key table when the query runs."""
    inner = next(node.this.find_all(*HASHES), None) if node.this is not None else None
    if inner is None:
        return False
    outer_parts = _outside(node, inner)
    return _reads_pad(inner, PAD_COLUMNS[0]) and any(_reads_pad(part, PAD_COLUMNS[1]) for part in outer_parts)


def _reads_pad(node: exp.Expression, pad: str) -> bool:
    """Whether ``node`` holds a scalar subquery selecting just ``pad`` from the key table."""
    for select in node.find_all(exp.Select):
        names = [expression.alias_or_name.lower() for expression in select.expressions]
        tables = [table.name.lower() for table in select.find_all(exp.Table)]
        if names == [pad] and tables == [KEY_TABLE]:
            return True
    return False


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
