"""When and from which code: the clock every record is stamped with, and the git commit a run was made from."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def reproducible_now() -> datetime:
    """``$SOURCE_DATE_EPOCH`` when it is set (reproducible metadata in CI), else the current time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else now()


def git_commit(root: Path) -> str | None:
    """The commit the project is at, with ``-dirty`` when tracked files differ from it; None outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
