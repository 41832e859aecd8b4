"""Who made the metadata and when: from an earlier export, git or the environment, never churning.

A document whose content has not changed keeps the dates and names it already has, so re-exporting leaves every
file byte-identical. A new document is created at the git commit that added the model's YAML (or now), by that
commit's author (or the current user); a changed one is updated now by the current user.
``SOURCE_DATE_EPOCH`` fixes "now" and ``DATAPRODUKT_METADATA_BY`` names the user (for CI and scheduled runs).
"""

from __future__ import annotations

import getpass
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dataprodukt.core.provenance import reproducible_now

# as pydantic writes an aware UTC datetime, so a stamp read back from a document compares equal
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
STAMP_FIELDS = (
    "metadata_created_date",
    "metadata_created_by",
    "metadata_last_updated_date",
    "metadata_last_updated_by",
)


@dataclass(frozen=True)
class Stamps:
    created_date: str
    created_by: str
    updated_date: str
    updated_by: str

    def as_fields(self) -> dict[str, str]:
        return dict(
            zip(STAMP_FIELDS, (self.created_date, self.created_by, self.updated_date, self.updated_by), strict=True)
        )

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Stamps | None:
        values = [fields.get(name) for name in STAMP_FIELDS]
        if not all(values):
            return None
        return cls(*(str(value) for value in values))


def now() -> str:
    """The stamp of this moment (``$SOURCE_DATE_EPOCH`` when set), as documents write it."""
    return reproducible_now().strftime(DATE_FORMAT)


class History:
    """When each file under models/ was added to git, and by whom; read with one git command, on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._added: dict[str, tuple[str, str]] | None = None
        self._user: str | None = None

    def added(self, relative_path: str) -> tuple[str, str] | None:
        if self._added is None:
            self._added = self._read()
        return self._added.get(relative_path)

    def _git(self, *args: str) -> str:
        try:
            result = subprocess.run(
                ["git", *args], cwd=self.root, capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return result.stdout if result.returncode == 0 else ""

    def _read(self) -> dict[str, tuple[str, str]]:
        output = self._git("log", "--diff-filter=A", "--format=>%aI\t%ae", "--name-only", "--", "models")
        added: dict[str, tuple[str, str]] = {}
        prefix = self._git("rev-parse", "--show-prefix").strip()
        stamp: tuple[str, str] | None = None
        for line in output.splitlines():
            if line.startswith(">"):
                date, _, author = line[1:].partition("\t")
                stamp = (datetime.fromisoformat(date).astimezone(UTC).strftime(DATE_FORMAT), author)
            elif line.strip() and stamp is not None:
                path = line.strip()
                if prefix and path.startswith(prefix):
                    path = path[len(prefix) :]
                added[path] = stamp  # log runs newest first: the last seen is the first commit
        return added

    def user(self) -> str:
        if self._user is None:
            self._user = (
                os.environ.get("DATAPRODUKT_METADATA_BY", "").strip()
                or self._git("config", "user.email").strip()
                or getpass.getuser()
            )
        return self._user


def new_stamps(previous: Stamps | None, history: History, model_files: list[str]) -> Stamps:
    """Stamps for a document that is new or changed."""
    moment, user = now(), history.user()
    if previous is not None:
        return Stamps(previous.created_date, previous.created_by, moment, user)
    added = [stamp for stamp in (history.added(path) for path in model_files) if stamp]
    if added:
        created_date, created_by = min(added)
        return Stamps(created_date, created_by, moment, user)
    return Stamps(moment, user, moment, user)
