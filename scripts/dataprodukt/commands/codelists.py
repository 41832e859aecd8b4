"""``dataprodukt codelists refresh``: fetch the project's code lists (codelists/) anew from KLASS's API.

The metadata gate checks unit_type, subject_field, data_source and classification ids against the lists in
codelists/, offline. This rewrites them where the network allows: every list there with a KLASS id, the list of
KLASS classifications, and any list added with --add KLASS_ID:FIELD (e.g. --add 712:data_source). The API's address
is --klass-url, else $DATAPRODUKT_KLASS_URL, else https://data.ssb.no/api/klass/v1.
"""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "codelists",
        help="refresh the code lists the metadata gate checks against (codelists/) from KLASS",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["refresh"], help="refresh: fetch every list anew")
    parser.add_argument(
        "--add", action="append", default=[], metavar="KLASS_ID:FIELD", help="also fetch this classification"
    )
    parser.add_argument("--klass-url", help="KLASS's API (default $DATAPRODUKT_KLASS_URL or data.ssb.no)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.datadoc.code_list_refresh import klass_url, parse_add, refresh

    project = commands.project(args)
    written = refresh(project.root, parse_add(args.add), args.klass_url)
    print(f"code lists refreshed from {klass_url(args.klass_url)}: {', '.join(written)}")
    return 0
