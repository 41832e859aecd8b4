"""The Python package keeps its shape: a step is found by its folder, no two modules share a name, no module
grows past ~400 lines, and engine differences stay inside the warehouse layer (core/warehouse/)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "scripts" / "dataprodukt"
FOLDERS = {
    "core",
    "core/warehouse",
    "rules",
    "load",
    "load/sources",
    "publish",
    "datadoc",
    "catalog",
    "runlog",
    "checks",
    "commands",
}
MAX_LINES = 400
# a branch on the warehouse's engine (``warehouse.kind == "duckdb"``, ``credentials.type in {...}``)
ENGINE_BRANCH = re.compile(r"\b(?:warehouse|credentials)\.(?:kind|type)\s*(?:==|!=|\bin\b|\bnot in\b)")


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py")


def test_the_folders_follow_the_data_flow() -> None:
    folders = {path.parent.relative_to(PACKAGE).as_posix() for path in modules()} - {"."}
    assert folders <= FOLDERS | {"hooks"}, folders - FOLDERS
    top = sorted(path.name for path in modules() if path.parent == PACKAGE)
    assert top == ["cli.py", "pipeline.py"]


def test_no_two_modules_share_a_name() -> None:
    twice = [name for name, count in Counter(path.name for path in modules()).items() if count > 1]
    assert twice == []


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n for path in modules() if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_engine_branches_live_in_the_warehouse_layer() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in modules()
        if "core/warehouse" not in path.as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ENGINE_BRANCH.search(line)
    ]
    assert found == []


def test_every_verb_has_one_module_and_one_handler_style() -> None:
    for path in sorted((PACKAGE / "commands").glob("*.py")):
        if path.name == "__init__.py":
            continue
        text = path.read_text()
        assert "def register(verbs" in text and "def handle(args: argparse.Namespace) -> int:" in text, path.name
        assert "set_defaults(handler=handle)" in text, path.name
