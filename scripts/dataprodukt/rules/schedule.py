"""The period a scheduled run builds, computed from the run's date (SSB period forms, see naming.py).

``python -m dataprodukt.rules.schedule previous-quarter [--date YYYY-MM-DD]`` prints e.g. ``2024-Q3``; with ``--vars``
it prints what the scheduled workflow passes to the main job: ``{period_from: '2024-Q3', period_to: '2024-Q3'}``.
``--period 2024-Q2`` takes a given period instead (a manual re-run), checked against the naming standard.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date

from dataprodukt.core.errors import UserError
from dataprodukt.rules.naming import parse_period


def previous_quarter(today: date) -> str:
    """The last quarter that has ended: 2025-01-05 -> 2024-Q4, 2025-04-01 -> 2025-Q1."""
    quarter = (today.month - 1) // 3  # 0-based index of the current quarter = number of the previous one
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


def previous_month(today: date) -> str:
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


def previous_year(today: date) -> str:
    return str(today.year - 1)


PERIODS: dict[str, Callable[[date], str]] = {
    "previous-quarter": previous_quarter,
    "previous-month": previous_month,
    "previous-year": previous_year,
}


def dbt_vars(period: str) -> str:
    """The ``--vars`` value for one period (checked against the naming standard first)."""
    parse_period(period)
    return f"{{period_from: '{period}', period_to: '{period}'}}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dataprodukt.rules.schedule", description=__doc__.splitlines()[0])
    parser.add_argument(
        "rule", nargs="?", default="previous-quarter", choices=sorted(PERIODS), help="the period before the date"
    )
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="the run's date (default: today)")
    parser.add_argument("--period", default="", help="this period instead of the rule's (e.g. 2024-Q2)")
    parser.add_argument("--vars", action="store_true", help="print the dbt --vars value instead of the period")
    args = parser.parse_args(argv)
    period = args.period or PERIODS[args.rule](args.date or date.today())
    try:
        text = dbt_vars(period) if args.vars else parse_period(period).text
    except UserError as error:
        print(f"schedule: error: {error}", file=sys.stderr)
        return 2
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
