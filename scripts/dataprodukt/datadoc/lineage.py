"""Column documentation inherited along the lineage: written once where a column enters, used downstream.

A column's description and meta come from its parents (model, snapshot, seed or source, in ``depends_on`` order):
the first parent whose own lineage knows a column of the same name; what the node itself says wins, key by key.
Where no YAML states a column's ``is_personal_data``, the class computed by column lineage from the compiled SQL
(``dataprodukt.rules.personal_data.classify``) fills it, so a renamed or derived column is marked as its inputs are.
Every meta key is inherited so, ``definition_uri`` (Vardef) among them: a definition written where a column enters
follows it downstream like its description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataprodukt.datadoc.fields import is_missing, merged_meta


@dataclass(frozen=True)
class ColumnDoc:
    description: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # where the description came from (the node's own unique_id when written there)
    described_in: str | None = None


class Lineage:
    """Resolves inherited column docs over a manifest; each (node, column) is resolved once."""

    def __init__(
        self,
        manifest: dict[str, Any],
        classes: dict[tuple[str, str], tuple[str, str | None]] | None = None,
        keyed: set[tuple[str, str]] | None = None,
    ) -> None:
        # (unique_id, column) -> (is_personal_data, upstream column) from the column lineage, when known
        self.classes = {(unique_id, column.lower()): value for (unique_id, column), value in (classes or {}).items()}
        # columns the pseudonymize macro made, by the same lineage (rules.personal_data.keyed_pseudonyms)
        self.keyed = {(unique_id, column.lower()) for unique_id, column in keyed or set()}
        self.nodes: dict[str, dict[str, Any]] = {**manifest.get("sources", {}), **manifest.get("nodes", {})}
        parent_map: dict[str, list[str]] = manifest.get("parent_map") or {}
        self.parents: dict[str, list[str]] = {
            unique_id: list(parent_map.get(unique_id) or (node.get("depends_on") or {}).get("nodes") or [])
            for unique_id, node in self.nodes.items()
        }
        self._own: dict[str, dict[str, ColumnDoc]] = {}
        self._resolved: dict[tuple[str, str], ColumnDoc | None] = {}

    def keyed_pseudonym(self, unique_id: str, column: str) -> bool:
        return (unique_id, column.lower()) in self.keyed

    def own(self, unique_id: str) -> dict[str, ColumnDoc]:
        if unique_id not in self._own:
            columns = {}
            for name, column in ((self.nodes.get(unique_id) or {}).get("columns") or {}).items():
                description = column.get("description")
                columns[name.lower()] = ColumnDoc(
                    description=None if is_missing(description) else str(description).strip(),
                    meta=merged_meta(column),
                    described_in=None if is_missing(description) else unique_id,
                )
            self._own[unique_id] = columns
        return self._own[unique_id]

    def column(self, unique_id: str, name: str) -> ColumnDoc | None:
        """The column's docs with what it inherits; None when neither the node nor its lineage knows it."""
        root = (unique_id, name.lower())
        # iterative post-order walk, so long chains of models don't meet Python's recursion limit
        stack: list[tuple[tuple[str, str], bool]] = [(root, False)]
        visiting: set[tuple[str, str]] = set()
        while stack:
            key, expanded = stack.pop()
            if key in self._resolved:
                continue
            if expanded:
                self._resolved[key] = self._merge(key)
                continue
            if key in visiting:
                continue
            visiting.add(key)
            stack.append((key, True))
            for parent in reversed(self.parents.get(key[0], [])):
                parent_key = (parent, key[1])
                if parent in self.nodes and parent_key not in self._resolved and parent_key not in visiting:
                    stack.append((parent_key, False))
        found = self._resolved[root]
        classified = self.classes.get(root)
        if classified is None or (found is not None and not is_missing(found.meta.get("is_personal_data"))):
            return found
        base = found or ColumnDoc()
        return ColumnDoc(base.description, {**base.meta, "is_personal_data": classified[0]}, base.described_in)

    def _merge(self, key: tuple[str, str]) -> ColumnDoc | None:
        unique_id, name = key
        inherited: ColumnDoc | None = None
        for parent in self.parents.get(unique_id, []):
            found = self._resolved.get((parent, name))
            if found is not None:
                inherited = found
                break
        own = self.own(unique_id).get(name)
        if own is None:
            return inherited
        if inherited is None:
            return own
        return ColumnDoc(
            description=own.description or inherited.description,
            meta={**inherited.meta, **own.meta},
            described_in=own.described_in or inherited.described_in,
        )
