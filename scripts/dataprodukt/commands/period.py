"""``dataprodukt period [RULE] [--date D] [--period P] [--vars]``: the period a scheduled run builds.

``dataprodukt period previous-quarter`` prints e.g. ``2024-Q3``; with ``--vars`` it prints what the scheduled
workflow passes to the main job: ``{period_from: '2024-Q3', period_to: '2024-Q3'}``. ``--period 2024-Q2`` takes a
given period instead (a manual re-run), checked against the naming standard.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from dataprodukt.rules.naming_standard import parse_period
from dataprodukt.rules.schedule import PERIODS, dbt_vars


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "period",
        help="the period a scheduled run builds (previous quarter, month or year), or its dbt --vars",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "rule", nargs="?", default="previous-quarter", choices=sorted(PERIODS), help="the period before the date"
    )
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="the run's date (default: today)")
    parser.add_argument("--period", default="", help="this period instead of the rule's (e.g. 2024-Q2)")
    parser.add_argument("--vars", action="store_true", help="print the dbt --vars value instead of the period")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    period = args.period or PERIODS[args.rule](args.date or date.today())
    print(dbt_vars(period) if args.vars else parse_period(period).text)
    return 0
