"""SSB naming standard: periods and dataset file names (``<description>_p<FROM>[_p<TO>]_v<N>``).

A period names a span of the calendar; ``period_bounds`` gives its first and last day, which become
Datadoc's ``contains_data_from`` / ``contains_data_until``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dataprodukt.errors import UserError

# form name -> pattern of the text after the "p" prefix
PERIOD_FORMS: dict[str, re.Pattern[str]] = {
    "year": re.compile(r"^(?P<year>\d{4})$"),
    "month": re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$"),
    "date": re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})$"),
    "week": re.compile(r"^(?P<year>\d{4})-W(?P<number>\d{2})$"),
    "bimester": re.compile(r"^(?P<year>\d{4})-B(?P<number>\d)$"),
    "quarter": re.compile(r"^(?P<year>\d{4})-Q(?P<number>\d)$"),
    "tertial": re.compile(r"^(?P<year>\d{4})-T(?P<number>\d)$"),
    "half-year": re.compile(r"^(?P<year>\d{4})-H(?P<number>\d)$"),
    "date-time": re.compile(
        r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})T(?P<hour>\d{2})-(?P<minute>\d{2})-(?P<second>\d{2})"
        r"(?:\.(?P<fraction>\d{3}))?$"
    ),
}
# months per part, and how many parts a year has
PARTS = {"bimester": (2, 6), "quarter": (3, 4), "tertial": (4, 3), "half-year": (6, 2)}


class PeriodError(UserError):
    """A period that does not follow the standard; the message names the period and the rule."""


@dataclass(frozen=True, order=True)
class Period:
    text: str
    form: str
    first: date
    last: date


def parse_period(text: str) -> Period:
    """Parse a period written as in the standard (without the ``p`` prefix)."""
    for form, pattern in PERIOD_FORMS.items():
        match = pattern.match(text)
        if match:
            first, last = _bounds(form, match, text)
            return Period(text, form, first, last)
    raise PeriodError(
        f"period {text!r} has no valid form: use YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Www, YYYY-Bn, YYYY-Qn, YYYY-Tn, "
        "YYYY-Hn or YYYY-MM-DDTHH-mm-ss.SSS"
    )


def period_bounds(text: str) -> tuple[date, date]:
    """First and last day covered by a period: 2020-W15 -> 2020-04-06..2020-04-12."""
    period = parse_period(text)
    return period.first, period.last


def _bounds(form: str, match: re.Match[str], text: str) -> tuple[date, date]:
    year = int(match["year"])
    try:
        if form == "year":
            return date(year, 1, 1), date(year, 12, 31)
        if form == "month":
            month = int(match["month"])
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        if form == "date":
            day = date(year, int(match["month"]), int(match["day"]))
            return day, day
        if form == "date-time":
            moment = datetime(
                year,
                int(match["month"]),
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
            )
            return moment.date(), moment.date()
    except ValueError as error:
        raise PeriodError(f"period {text!r} is not a real calendar value: {error}") from error
    number = int(match["number"])
    if form == "week":
        weeks_in_year = date(year, 12, 28).isocalendar().week
        if not 1 <= number <= weeks_in_year:
            raise PeriodError(f"period {text!r}: {year} has ISO weeks 01-{weeks_in_year:02d}")
        monday = date.fromisocalendar(year, number, 1)
        return monday, monday + timedelta(days=6)
    months, count = PARTS[form]
    if not 1 <= number <= count:
        letter = text[5]
        raise PeriodError(f"period {text!r}: a {form} is numbered {letter}1-{letter}{count}")
    first_month = (number - 1) * months + 1
    last_month = first_month + months - 1
    return date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])


def dataset_stem(description: str, period_from: str, period_to: str | None, version: int | None) -> str:
    """The file-name stem: ``<description>_p<FROM>[_p<TO>][_v<N>]`` (no version = the latest alias)."""
    stem = f"{description}_p{period_from}"
    if period_to and period_to != period_from:
        stem += f"_p{period_to}"
    if version is not None:
        stem += f"_v{version}"
    return stem
