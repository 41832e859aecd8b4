"""``dataprodukt key``: the pseudonymisation key into the warehouse's key table, for plain dbt.

``dataprodukt run`` does this itself before dbt builds; plain ``dbt build`` (or ``dbt run``) needs it done once on a
fresh warehouse, and again after the key changes. The key comes from DATAPRODUKT_PSEUDONYM_KEY (the local targets
make a development key in build/pseudonym.key); only its HMAC pads are loaded, never as SQL text.
"""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "key",
        help="load the pseudonymisation key into the warehouse's key table (for plain dbt; `run` does it itself)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands.add_target(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core import pseudonym_key
    from dataprodukt.core.context import RunContext

    with RunContext.open(commands.project(args), quiet=True) as context:
        users = context.session.macro_users("pseudonymize")
        if not users:
            print("no model pseudonymises: no key to load")
            return 0
        table = pseudonym_key.load(context.warehouse, context.project, users)
    print(f"the pseudonymisation key is in {table.schema}.{table.name} (for {', '.join(users)})")
    return 0
