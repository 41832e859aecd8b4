"""Read exported documents with Statistics Norway's own Datadoc reader (dapla-toolbelt-metadata).

The reader decides what "complete" means at Statistics Norway: its ``percent_complete`` and the warnings its model
validators give. It needs Python 3.12 or newer and pyarrow older than the project's, so it runs in a virtualenv of
its own (``build/toolbelt/venv``, pins in ``data/toolbelt-requirements.txt``) as a subprocess that prints JSON
(``data/toolbelt_reader.py.txt``). Reading a document needs no network. The virtualenv is made once per machine; the
interpreter is found in this order: ``$DATAPRODUKT_TOOLBELT_PYTHON``, ``python3.12`` on PATH, pyenv's 3.12,
uv's managed 3.12 (``uv python find``), and last ``uv python install 3.12`` (which needs the network).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from dataprodukt.core import venv as tool_venv
from dataprodukt.core.errors import UserError

REQUIREMENTS = "toolbelt-requirements.txt"
READER = "toolbelt_reader.py.txt"  # a script for the reader's interpreter, not a module of this package
PYTHON_VARIABLE = "DATAPRODUKT_TOOLBELT_PYTHON"
VERSION = "3.12"
# what the reader logs when no user is signed in to Dapla (always so off the platform): not about the document
OFF_PLATFORM_LOG = "dapla_metadata.dapla.user_info"


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = result.stdout.split()
    return (int(parts[0]), int(parts[1])) if result.returncode == 0 and len(parts) == 2 else None


def _candidates() -> list[str]:
    found = [os.environ.get(PYTHON_VARIABLE, ""), shutil.which(f"python{VERSION}") or ""]
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found += [str(path) for path in sorted(pyenv.glob(f"{VERSION}*/bin/python"), reverse=True)]
    return [candidate for candidate in found if candidate]


def _uv(*args: str) -> str | None:
    uv = Path(sys.executable).parent / "uv"
    command = str(uv) if uv.is_file() else shutil.which("uv")
    if not command:
        return None
    result = subprocess.run([command, *args], capture_output=True, text=True, timeout=600, check=False)
    return result.stdout.strip().splitlines()[-1] if result.returncode == 0 and result.stdout.strip() else None


def find_python() -> str:
    """A Python 3.12 (or newer) interpreter for the reader's virtualenv."""
    for candidate in _candidates():
        version = _version_of(candidate)
        if version is not None and version >= (3, 12):
            return candidate
    managed = _uv("python", "find", VERSION)
    if managed is None:
        _uv("python", "install", VERSION)  # needs the network; fails quietly without it
        managed = _uv("python", "find", VERSION)
    if managed:
        return managed
    raise UserError(
        f"no Python {VERSION} found for Statistics Norway's Datadoc reader (it needs Python >= 3.12): install one "
        f"(pyenv, apt, or `uv python install {VERSION}`) or set {PYTHON_VARIABLE} to its interpreter"
    )


def ensure_reader(build_dir: Path) -> Path:
    """The reader's virtualenv under ``build_dir/toolbelt``, made when missing (once per set of pins)."""
    venv = build_dir / "toolbelt" / "venv"
    marker = venv / tool_venv.MARKER
    current = marker.is_file() and marker.read_text(encoding="utf-8") == tool_venv.requirements_text(REQUIREMENTS)
    python = None if current and tool_venv.python_of(venv).is_file() else find_python()
    return tool_venv.ensure(venv, REQUIREMENTS, "Statistics Norway's Datadoc reader", python)


def read_documents(venv: Path, paths: list[Path], timeout: int = 600) -> list[dict[str, Any]]:
    """What the reader makes of each document (one process for all: its import takes seconds)."""
    if not paths:
        return []
    script = resources.files("dataprodukt").joinpath("data", READER)
    # nothing of a Dapla session leaks in: the reader sees what it sees off the platform
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DAPLA_", "OIDC_", "DATADOC_"))}
    result = subprocess.run(
        [str(tool_venv.python_of(venv)), str(script), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        detail = " ".join(result.stderr.split())[-800:]
        raise UserError(f"Statistics Norway's Datadoc reader failed on {len(paths)} document(s): {detail}")
    documents: list[dict[str, Any]] = json.loads(result.stdout)["documents"]
    return documents


def problems(report: dict[str, Any]) -> list[str]:
    """What keeps a document from being complete and clean by the reader's measure (empty when it is)."""
    found = []
    if report["percent_complete"] != 100:
        found.append(f"{report['percent_complete']}% complete")
    for key in ("missing_dataset", "missing_variables", "missing_pseudonymization"):
        if report[key]:
            found.append(f"{key}: {report[key]}")
    found += [f"warning: {text}" for text in report["warnings"]]
    found += [f"log: {line}" for line in report["log"] if OFF_PLATFORM_LOG not in line]
    return found
