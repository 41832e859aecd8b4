"""``dataprodukt new SHORT_NAME FOLDER``: a new data product from this template, in one command."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from dataprodukt.core.project import find_root
from dataprodukt.load.new_product import Template, check_short_name, create


def register(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = verbs.add_parser(
        "new", help="create a new data product from this template (names, profile, CI, README, licence)"
    )
    parser.add_argument("short_name", help="the product's short name: a-z0-9_, ending in _data (e.g. ameld_data)")
    parser.add_argument("folder", help="where to create it (a new or empty folder outside this project)")
    parser.add_argument(
        "--statistics", action="store_true", help="a statistics product: short name without _data (e.g. kpi)"
    )
    example = parser.add_mutually_exclusive_group()
    example.add_argument(
        "--keep-example", dest="keep_example", action="store_true", default=True, help="keep the example (default)"
    )
    example.add_argument(
        "--no-example", dest="keep_example", action="store_false", help="start with empty model folders"
    )
    parser.add_argument("--owner", default="", help="the owning team, written into LICENSE and datapackage.json")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    name = check_short_name(args.short_name, statistics=args.statistics)
    folder = Path(args.folder).resolve()
    template = Template(find_root())
    for line in create(template, name, folder, keep_example=args.keep_example, owner=args.owner):
        print(line)
    print(f"created {folder}\nnext:\n  cd {shlex.quote(str(folder))}\n  make run\n  make test")
    return 0
