"""``dataprodukt lint [--fix] [--target T] [PATH ...]``: sqlfluff over the SQL, rendered by dbt for one target.

The rules are in ``.sqlfluff`` (jaffle-shop style). The dbt templater compiles every model for the chosen target,
so the SQL that is linted is the SQL that target runs; the dialect follows the target. On DuckDB the templater's
connection is an in-memory database, so linting never locks the build's DuckDB file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from dataprodukt import commands
from dataprodukt.core.errors import UserError

# dbt target -> sqlfluff dialect
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "bigquery": "bigquery", "bigquery_emulator": "bigquery"}
# folders holding SQL that dbt renders (macros are linted inside the models that call them)
SQL_FOLDERS = ("models", "snapshots", "analyses", "tests/dbt")


def register(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = verbs.add_parser("lint", help="lint the SQL with sqlfluff (rules in .sqlfluff); --fix rewrites it")
    commands.add_target(parser)
    parser.add_argument("--fix", action="store_true", help="fix what can be fixed in place, report the rest")
    parser.add_argument("paths", nargs="*", help=f"files or folders (default: {', '.join(SQL_FOLDERS)})")
    parser.set_defaults(handler=handle)


def lint_command(target: str, paths: list[str], fix: bool) -> list[str]:
    """The sqlfluff command line for ``paths`` on ``target``."""
    verb = ["fix", "--show-lint-violations"] if fix else ["lint"]
    return [sys.executable, "-m", "sqlfluff", *verb, "--dialect", DIALECTS[target], "--disable-progress-bar", *paths]


def lint_environment(target: str, root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DBT_TARGET"] = target
    env.setdefault("DBT_PROFILES_DIR", str(root / "profiles"))
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
    if target == "duckdb":
        # the templater only needs a connection; the build's file may be open in a running job
        env["DUCKDB_PATH"] = ":memory:"
    return env


# what the dbt templater needs from the environment to reach the target, and how to get it
NEEDS = {
    "postgres": ("PGPASSWORD", "set PGPASSWORD (and PGHOST/PGUSER/PGDATABASE as for a build)"),
    "bigquery": ("BQ_PROJECT", "set BQ_PROJECT and log in (`gcloud auth application-default login`)"),
}


def check_environment(target: str) -> None:
    """Refuse early, in one line, what would otherwise end in a dbt traceback inside sqlfluff."""
    if target in NEEDS and not os.environ.get(NEEDS[target][0]):
        variable, remedy = NEEDS[target]
        raise UserError(
            f"{variable} is not set: linting for {target} renders the models with dbt against {target}: {remedy}, "
            "or lint for the default target (duckdb)"
        )


def handle(args: argparse.Namespace) -> int:
    given = [Path(path).resolve() for path in args.paths]  # before the project root becomes the working directory
    missing = [str(path) for path in given if not path.exists()]
    if missing:
        raise UserError(f"nothing to lint at {', '.join(missing)}: pass existing SQL files or folders")
    project = commands.project(args)
    if not (project.root / ".sqlfluff").is_file():
        raise UserError(f"no .sqlfluff in {project.root}: copy it from the template (it holds the SQL style rules)")
    check_environment(project.target)
    paths = [str(path) for path in given] or [folder for folder in SQL_FOLDERS if (project.root / folder).is_dir()]
    if not paths:
        print("no SQL folders to lint")
        return 0
    command = lint_command(project.target, paths, args.fix)
    result = subprocess.run(command, env=lint_environment(project.target, project.root), check=False)
    if result.returncode != 0 and not args.fix:
        print("dataprodukt lint: fix the lines above, or run `dataprodukt lint --fix` (`make format`)", file=sys.stderr)
    return result.returncode
