"""Every YAML file parses (dbt properties, profiles, workflows, pre-commit config), with the line of any error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml


def problem(path: Path) -> str | None:
    """Why ``path`` is not valid YAML, as ``path:line:column: reason``; None when it is."""
    try:
        for _ in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            pass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        return f"{where}: invalid YAML: {error.problem or error}"
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
        return f"{path}: invalid YAML: {error}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check-yaml", description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    problems = [found for path in parser.parse_args(argv).files if (found := problem(path))]
    for found in problems:
        print(found)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
