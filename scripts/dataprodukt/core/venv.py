"""A tool's own virtualenv under build/, made once per set of pinned requirements.

Some tools can't share the project's environment (the BigQuery emulator pins its own DuckDB; Statistics Norway's
Datadoc reader needs Python 3.12 and an older pyarrow). Each gets a virtualenv of its own, installed from a pinned
requirements file shipped in ``dataprodukt/data/`` with wheels only (uv ``--no-build``, or pip ``--only-binary``),
so a source-only package fails at once instead of reaching for a compiler. A marker file in the virtualenv holds
the pins it was made from: when they change, it is made again. Two processes that want it at once (two terminals,
parallel tests) take turns on a file lock; the second finds the first's virtualenv ready.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from dataprodukt.core import filelock
from dataprodukt.core.errors import UserError

MARKER = "dataprodukt-requirements.txt"


def requirements_text(name: str) -> str:
    """A pinned requirements file shipped in the package's data folder."""
    return resources.files("dataprodukt").joinpath("data", name).read_text(encoding="utf-8")


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def _installer() -> list[str]:
    """uv beside this interpreter (as the project installs it), else uv on PATH; empty when there is none."""
    uv = Path(sys.executable).parent / "uv"
    found = str(uv) if uv.is_file() else shutil.which("uv")
    return [found, "pip", "install", "--no-build", "--python"] if found else []


def this_python() -> str:
    """The interpreter the project's virtualenv was made from."""
    return sys.executable if sys.prefix == sys.base_prefix else str(Path(sys.base_prefix) / "bin" / "python3")


def ensure(venv: Path, requirements: str, purpose: str, python: str | None = None) -> Path:
    """The virtualenv at ``venv`` with the pins of the shipped file ``requirements`` installed, made with
    ``python`` (default: the project's own interpreter) when missing or made from other pins."""
    with filelock.exclusive(venv.parent / ".venv.lock"):
        return _ensure(venv, requirements, purpose, python or this_python())


def _ensure(venv: Path, name: str, purpose: str, python: str) -> Path:
    wanted = requirements_text(name)
    marker = venv / MARKER
    if python_of(venv).is_file() and marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    if venv.exists():
        shutil.rmtree(venv)
    pins = venv.parent / f".{name}"
    pins.write_text(wanted, encoding="utf-8")
    installer = _installer()
    if installer:
        install = [*installer, str(python_of(venv)), "-r", str(pins)]
        steps = [[python, "-m", "venv", "--without-pip", str(venv)], install]
    else:
        pip = [str(python_of(venv)), "-m", "pip", "install", "-q", "--only-binary", ":all:", "-r", str(pins)]
        steps = [[python, "-m", "venv", str(venv)], pip]
    for command in steps:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
        if result.returncode != 0:
            detail = " ".join((result.stderr or result.stdout).split())[-600:]
            raise UserError(
                f"installing {purpose} into {venv} failed ({' '.join(command[:3])} ...): {detail}. "
                f"It needs PyPI (or a pip/uv mirror) reachable; the pins are in {name}"
            )
    marker.write_text(wanted, encoding="utf-8")
    return venv
