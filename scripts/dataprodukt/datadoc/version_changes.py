"""What changed in a dataset's variables from one version to the next, and how the change is said.

A new version's variables are compared with the previous version's, as Datadoc documents hold them (short name,
data type, description, definition): variables added, removed, renamed (one removed and one added with the same
data type and the same description or definition, or the new column's ``meta.renamed_from``) and given another data
type. The text goes into the new version's ``version_description`` when nobody wrote one (see
``describe.version_description`` for the order), and the catalog page shows the same comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

NO_TYPE = "?"


@dataclass(frozen=True)
class Shape:
    """What a variable is, for comparing versions."""

    short_name: str
    data_type: str
    description: str = ""
    definition: str = ""
    renamed_from: str = ""


@dataclass
class Changes:
    """The difference between version ``previous`` and the next."""

    previous: int
    added: list[Shape] = field(default_factory=list)
    removed: list[Shape] = field(default_factory=list)
    renamed: list[tuple[Shape, Shape]] = field(default_factory=list)
    retyped: list[tuple[Shape, Shape]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.retyped)

    def as_dict(self) -> dict[str, Any]:
        """For the catalog page: names and types only."""
        return {
            "previous": self.previous,
            "added": [{"name": item.short_name, "type": item.data_type} for item in self.added],
            "removed": [{"name": item.short_name, "type": item.data_type} for item in self.removed],
            "renamed": [{"from": old.short_name, "to": new.short_name} for old, new in self.renamed],
            "retyped": [
                {"name": new.short_name, "from": old.data_type, "to": new.data_type} for old, new in self.retyped
            ],
        }

    def text(self, language: str = "nb") -> str:
        words = WORDS[language]
        if self.empty:
            return words["same"].format(previous=self.previous)
        parts = []
        if self.added:
            parts.append(words["added"] + " " + ", ".join(f"{v.short_name} ({v.data_type})" for v in self.added))
        if self.removed:
            parts.append(words["removed"] + " " + ", ".join(v.short_name for v in self.removed))
        if self.renamed:
            parts.append(
                words["renamed"] + " " + ", ".join(f"{a.short_name} → {b.short_name}" for a, b in self.renamed)
            )
        if self.retyped:
            parts.append(
                words["retyped"]
                + " "
                + ", ".join(f"{b.short_name} ({a.data_type} → {b.data_type})" for a, b in self.retyped)
            )
        return words["changed"].format(previous=self.previous) + "; ".join(parts) + "."


WORDS = {
    "nb": {
        "same": "Ny versjon av versjon {previous}: de samme variablene.",
        "changed": "Endret fra versjon {previous}: ",
        "added": "lagt til",
        "removed": "fjernet",
        "renamed": "omdøpt",
        "retyped": "ny datatype for",
    },
    "en": {
        "same": "New version of version {previous}: the same variables.",
        "changed": "Changed from version {previous}: ",
        "added": "added",
        "removed": "removed",
        "renamed": "renamed",
        "retyped": "new data type for",
    },
}


def _first_text(value: Any) -> str:
    """The first text of a Datadoc language string (or a plain string)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item.get("languageText"):
                return str(item["languageText"]).strip()
    return ""


def shape(variable: dict[str, Any], renamed_from: str = "") -> Shape:
    """A Datadoc variable (as the document writes it) reduced to what versions are compared by."""
    return Shape(
        str(variable.get("short_name") or ""),
        str(variable.get("data_type") or NO_TYPE),
        _first_text(variable.get("comment")),
        str(variable.get("definition_uri") or ""),
        renamed_from,
    )


def compare(previous_version: int, before: Iterable[Shape], after: Iterable[Shape]) -> Changes:
    old = {item.short_name.lower(): item for item in before}
    new = {item.short_name.lower(): item for item in after}
    changes = Changes(previous_version)
    removed = [item for name, item in old.items() if name not in new]
    added = [item for name, item in new.items() if name not in old]
    changes.retyped = [
        (old[name], item) for name, item in new.items() if name in old and old[name].data_type != item.data_type
    ]
    for item in list(added):
        match = _renamed(item, removed)
        if match is not None:
            changes.renamed.append((match, item))
            removed.remove(match)
            added.remove(item)
    changes.added, changes.removed = added, removed
    return changes


def _renamed(item: Shape, removed: list[Shape]) -> Shape | None:
    """The removed variable ``item`` is a rename of: named by meta.renamed_from, else the one removed variable of
    the same type with the same definition or description."""
    if item.renamed_from:
        return next((old for old in removed if old.short_name.lower() == item.renamed_from.lower()), None)
    same = [
        old
        for old in removed
        if old.data_type == item.data_type
        and (
            (item.definition and old.definition == item.definition)
            or (item.description and old.description == item.description)
        )
    ]
    return same[0] if len(same) == 1 else None
