"""Convention checks. Each check is a module with ``NAME`` and ``run(context) -> list[Violation]``.

``dataprodukt check`` runs every check, prints every violation (never only the first) and fails when
there is any. Add a check by writing a module in this package: it is found by its file name.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprodukt.core.project import Project
from dataprodukt.core.storage import Storage, storage_for


@dataclass(frozen=True)
class Violation:
    """One broken rule, printed as ``model (file:line): subject: rule``."""

    model: str
    path: str
    line: int | None
    subject: str
    rule: str
    check: str = field(default="", compare=False)

    def __lt__(self, other: Violation) -> bool:
        """Sorted by model, file, line (a violation without a line first), subject, rule."""
        return self._key() < other._key()

    def _key(self) -> tuple[str, str, int, str, str]:
        return (self.model, self.path, self.line or 0, self.subject, self.rule)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{self.model} ({where}): {self.subject}: {self.rule}"


@dataclass
class CheckContext:
    """What checks share: the project, dbt's compiled manifest (read once) and where publications are stored."""

    project: Project
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    storage: Storage | None = None
    # a folder with a publication's manifest.json to compare published versions with, instead of storage
    state: Path | None = None

    @property
    def publications(self) -> Storage:
        return self.storage or storage_for(self.project)

    def nodes(self, resource_type: str = "model") -> list[dict[str, Any]]:
        return [
            node
            for node in self.manifest.get("nodes", {}).values()
            if node.get("resource_type") == resource_type and node.get("package_name") == self.package_name
        ]

    @property
    def package_name(self) -> str:
        return str(self.manifest.get("metadata", {}).get("project_name", ""))


NOT_CHECKS = frozenset({"runner"})


def discover() -> tuple[str, ...]:
    """Every check module in this package, by name."""
    return tuple(
        sorted(
            info.name
            for info in pkgutil.iter_modules(__path__)
            if info.name not in NOT_CHECKS and not info.name.startswith("_")
        )
    )


CHECKS: tuple[str, ...] = discover()


def load_checks(names: Sequence[str] = CHECKS) -> list[tuple[str, Callable[[CheckContext], list[Violation]]]]:
    loaded = []
    for name in names:
        module = importlib.import_module(f"dataprodukt.checks.{name}")
        loaded.append((str(getattr(module, "NAME", name)), module.run))
    return loaded
