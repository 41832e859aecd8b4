"""dataprodukt: the one command-line entry point, with verbs that follow the analyst's journey.

The parser only: each verb is a module in ``commands/`` (``register(verbs)`` adds its parser, ``handle(args)``
does the work and returns the exit status).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from dataprodukt import commands
from dataprodukt.core.errors import UserError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataprodukt", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for module in commands.discover():
        module.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except UserError as error:
        print(f"dataprodukt {args.verb}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dataprodukt {args.verb}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
