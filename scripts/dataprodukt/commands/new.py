"""``dataprodukt new SHORT_NAME FOLDER``: a new data product from this template, in one command.

It asks for the team, the owner code, the title, the periods and the target (in a terminal), or takes them as
flags; without a terminal every one of them but the target must be given.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import DEFAULT_TARGET, TARGETS, find_root
from dataprodukt.load.new_product import Template, check_short_name, create
from dataprodukt.load.product_files import ProductSettings

# flag -> what is asked for it
QUESTIONS = {
    "team": "the owning team (labels the product's tables; a-z 0-9 - _, e.g. team-ameld)",
    "owner_code": "the owner code (the owning unit's code in Datadoc, e.g. 212)",
    "title": "the product's title (e.g. 'A-meldingen: arbeidsforhold')",
    "period_from": "the first period the published datasets cover (e.g. 2025-Q1, 2025-01, 2025)",
    "period_to": "the last period (e.g. 2025-Q4)",
}


def register(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # no abbreviations: --owner (the team, before --team) must not be read as --owner-code
    parser = verbs.add_parser(
        "new", help="create a new data product from this template (asks for its settings)", allow_abbrev=False
    )
    parser.add_argument("short_name", help="the product's short name: a-z0-9_, ending in _data (e.g. ameld_data)")
    parser.add_argument("folder", help="where to create it (a new or empty folder outside this project)")
    parser.add_argument(
        "--statistics", action="store_true", help="a statistics product: short name without _data (e.g. kpi)"
    )
    for flag, question in QUESTIONS.items():
        parser.add_argument("--" + flag.replace("_", "-"), dest=flag, default=None, help=question)
    parser.add_argument(
        "--target", choices=TARGETS, default=None, help=f"the default dbt target (default {DEFAULT_TARGET})"
    )
    parser.add_argument(
        "--with-example", action="store_true", help="start from the example's models, histories and code lists"
    )
    # the example is left out by default; kept for scripts that said so
    parser.add_argument("--no-example", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    name = check_short_name(args.short_name, statistics=args.statistics)
    folder = Path(args.folder).resolve()
    answers = {flag: getattr(args, flag) for flag in QUESTIONS}
    missing = [flag for flag, value in answers.items() if value is None]
    if missing and sys.stdin.isatty():
        for flag in missing:
            answers[flag] = input(f"{QUESTIONS[flag]}: ").strip()
        if args.target is None:
            args.target = input(f"the default target ({', '.join(TARGETS)}) [{DEFAULT_TARGET}]: ").strip() or None
    elif missing:
        flags = " ".join(f"--{flag.replace('_', '-')} ..." for flag in missing)
        raise UserError(f"give the product's settings: {flags} (or run it in a terminal to be asked)")
    settings = ProductSettings(
        name=name,
        team=str(answers["team"]),
        owner_code=str(answers["owner_code"]),
        title=str(answers["title"]),
        period_from=str(answers["period_from"]),
        period_to=str(answers["period_to"]),
        target=args.target or DEFAULT_TARGET,
        with_example=args.with_example,
    )
    problems = settings.problems()
    if problems:
        raise UserError("; ".join(problems))
    template = Template(find_root())
    for line in create(template, folder, settings):
        print(line)
    print(f"created {folder}\nnext:\n  cd {shlex.quote(str(folder))}\n  make run\n  make test")
    return 0
