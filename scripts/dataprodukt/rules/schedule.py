"""The period a scheduled run builds, computed from the run's date (SSB period forms, see naming.py).

Used by ``dataprodukt period`` (commands/period.py), which the scheduled workflow runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from dataprodukt.rules.naming_standard import parse_period


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
