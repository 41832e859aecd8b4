"""Which columns hold personal data: declared where data enters, carried through the DAG by column lineage.

A column's class is one of Datadoc's ``is_personal_data`` values, ordered from least to most personal:
NOT_PERSONAL_DATA < PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA < NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA.
Classes are declared in column ``meta.is_personal_data`` (sources, staging, seeds, any model) and propagate by
column lineage computed with sqlglot from each model's compiled SQL, in the target's dialect:

- a derived column takes the most personal class of the columns it is computed from (joins and filters don't count);
- an aggregate that reduces persons (count, count distinct, sum, avg, stddev, variance) is not personal, unless the
  GROUP BY has a personal key: then it is as personal as that key (a count per person is data about the person);
  min/max/any_value/array_agg return input values and pass the class through;
- the ``pseudonymize`` macro's compiled shape, ``sha256(<opad from the key table> || sha256(<ipad from the key
  table> || value))``, makes personal input PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA (a plain unkeyed hash does not:
  it is reversible);
- a snapshot passes each column of its relation through by name; its history columns are not personal;
- a column declared more personal than its lineage keeps the declaration (that is where data enters); declared
  less personal, it keeps the lineage's class and :func:`trace` reports the contradiction.
Where the SQL can't be analysed, every column of the node gets the most personal class among its inputs
(fail closed) and the reason is kept in ``Lineage.problems``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.rules.column_origin import (
    NOT,
    PERSONAL,
    PSEUDONYMISED,
    RANK,
    Origin,
    most,
    query_origins,
)
from dataprodukt.rules.normalised_sql import relation_key

META_KEY = "is_personal_data"
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "bigquery": "bigquery", "redshift": "redshift"}
SNAPSHOT_COLUMNS = {
    "dbt_valid_from": "dbt_valid_from",
    "dbt_valid_to": "dbt_valid_to",
    "dbt_scd_id": "dbt_scd_id",
    "dbt_updated_at": "dbt_updated_at",
    "dbt_is_deleted": "dbt_is_deleted",
}


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


def keyed_pseudonyms(
    manifest: dict[str, Any], classes: dict[tuple[str, str], tuple[str, str | None]]
) -> set[tuple[str, str]]:
    """Columns pseudonymised with the project's key: PSEUDONYMISED, from an upstream column that is personal and
    not pseudonymised (so the ``pseudonymize`` macro made them so; a column delivered pseudonymised is not)."""
    labels = {
        _label(node): unique_id
        for unique_id, node in {**manifest.get("nodes", {}), **manifest.get("sources", {})}.items()
        if node.get("resource_type") in {"model", "snapshot", "seed", "source"}
    }
    found = set()
    for (unique_id, column), (klass, upstream) in classes.items():
        if klass != PSEUDONYMISED or not upstream:
            continue
        node, _, name = upstream.rpartition(".")
        source = labels.get(node)
        if source is not None and classes.get((source, name.lower()), (None, None))[0] == PERSONAL:
            found.add((unique_id, column))
    return found


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
        key = relation_key(node.get("relation_name"), dialect)
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
    return query_origins(sql, dialect, nodes, relations, lineage.columns)


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
