"""SSB naming standard: periods and dataset file names (``<description>_p<FROM>[_p<TO>]_v<N>``).

A period names a span of the calendar; ``period_bounds`` gives its first and last day, which become
Datadoc's ``contains_data_from`` / ``contains_data_until``. Periods are ordered by the instant they start
(``period_start``): in ``_p<FROM>_p<TO>`` FROM starts before TO, the rule macros/naming/ applies too.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dataprodukt.core.errors import UserError

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


def period_start(text: str) -> str:
    """The instant a period starts, as a key that sorts like time: ``YYYY-MM-DDTHH-mm-ss.SSS``.

    2024 -> 2024-01-01T00-00-00.000, 2020-W01 -> 2019-12-30T00-00-00.000 (its Monday), a date-time as written
    (``.000`` added when it has no fraction). The order of periods is the order of these keys, in every form and
    across forms; macro ``period_start`` computes the same key.
    """
    period = parse_period(text)
    if period.form == "date-time":
        return text if "." in text else f"{text}.000"
    return f"{period.first.isoformat()}T00-00-00.000"


def period_order_problems(period_from: str, period_to: str) -> list[str]:
    """What a pair ``_p<FROM>_p<TO>`` of valid periods breaks (empty when nothing): both periods have one form,
    and FROM starts before TO starts (``period_start``). The same rule as macro ``period_order_problems``."""
    problems = []
    form_from, form_to = parse_period(period_from).form, parse_period(period_to).form
    if form_from != form_to:
        problems.append(f"both periods use the same form ({form_from} vs {form_to})")
    start_from, start_to = period_start(period_from), period_start(period_to)
    if period_from == period_to:
        problems.append(f"chronological order: the same period twice: write it once (_p{period_from})")
    elif start_from == start_to:
        problems.append(
            f"chronological order: p{period_from} and p{period_to} both start {start_from}: "
            "FROM must start before TO (one period: write it once)"
        )
    elif start_from > start_to:
        problems.append(
            f"chronological order: p{period_from} starts after p{period_to} ({start_from} > {start_to}): "
            "write the earlier period first (_p<FROM>_p<TO>)"
        )
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Validation of storage paths and file names against the standard.
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataState:
    """A data state of the standard: its storage folder (level 2 below the product), its Datadoc name and the
    assessment that follows from it. The models folder of a data state is the storage folder with ``_``."""

    folder: str
    dataset_state: str
    assessment: str

    @property
    def models_folder(self) -> str:
        return self.folder.replace("-", "_")


# The data states that are published, in the order data flows (kildedata, source data, is not named).
DATA_STATES = (
    DataState("inndata", "INPUT_DATA", "PROTECTED"),
    DataState("klargjorte-data", "PROCESSED_DATA", "PROTECTED"),
    DataState("statistikk", "STATISTICS", "PROTECTED"),
    DataState("utdata", "OUTPUT_DATA", "OPEN"),
)
STATE_FOLDERS = tuple(state.folder for state in DATA_STATES)
# top-level folders the standard allows beside the products; their contents are free (characters still apply)
FREE_TOP_FOLDERS = ("temp", "oppdrag")
ALLOWED = re.compile(r"^[A-Za-z0-9_-]+$")
EXTENSION = re.compile(r"\.(?P<ext>[A-Za-z][A-Za-z0-9]*)$")
# a metadata document or record beside a dataset: <stem>__DOC.json
SIBLING = re.compile(r"^(?P<stem>.+)__(?P<kind>[A-Z]+)\.json$")
VERSION = re.compile(r"^v(?P<number>0|[1-9]\d*)$")
PARTITION = re.compile(r"^(?P<key>[A-Za-z0-9_-]+)=(?P<value>[A-Za-z0-9_.-]+)$")
# Dapla Lab mounts each bucket a team can read as a folder here: /buckets/<bucket>/ is gs://<bucket>/
BUCKET_MOUNT = "/buckets/"


@dataclass(frozen=True)
class NameViolation:
    """One broken rule of the naming standard: the part of the path and the rule it breaks."""

    part: str
    rule: str

    def __str__(self) -> str:
        return f"{self.part}: {self.rule}"


@dataclass(frozen=True)
class DatasetName:
    """A parsed dataset name: ``<description>_p<FROM>[_p<TO>][_v<N>]``."""

    description: str
    periods: tuple[Period, ...]
    version: int | None

    @property
    def first(self) -> date:
        return self.periods[0].first

    @property
    def last(self) -> date:
        return self.periods[-1].last


def _chars(kind: str, text: str) -> list[NameViolation]:
    if ALLOWED.match(text):
        return []
    return [
        NameViolation(
            f"{kind} {text!r}", "only a-z, A-Z, 0-9, - and _ are allowed (no spaces; write ae, oe, aa for æ, ø, å)"
        )
    ]


def parse_dataset_name(stem: str) -> tuple[DatasetName | None, list[NameViolation]]:
    """Parse a stem (file name without extension); return the name, or None with every violation found."""
    parts = stem.split("_")
    start = next((i for i, part in enumerate(parts) if re.match(r"^p\d", part)), None)
    if start is None:
        return None, [NameViolation(f"name {stem!r}", "no period: write <description>_p<FROM>[_p<TO>]_v<N>")]
    violations: list[NameViolation] = []
    description = "_".join(parts[:start])
    if not description:
        violations.append(NameViolation(f"name {stem!r}", "starts with a period: begin with a short description"))
    elif "_" in description:
        violations.append(
            NameViolation(f"description {description!r}", "join the words of a description with - (not _)")
        )
    elif not re.match(r"^[A-Za-z0-9-]+$", description):
        violations += _chars("description", description)
    periods: list[Period] = []
    version: int | None = None
    rest = parts[start:]
    for index, part in enumerate(rest):
        if part.startswith("p") and version is None and re.match(r"^p\d", part):
            try:
                periods.append(parse_period(part[1:]))
            except PeriodError as error:
                violations.append(NameViolation(f"period {part!r}", str(error)))
                periods.append(Period(part[1:], "invalid", date.min, date.min))
        elif part.startswith("v") and index == len(rest) - 1:
            match = VERSION.match(part)
            if match:
                version = int(match["number"])
            else:
                violations.append(NameViolation(f"version {part!r}", "write v followed by a number: v0, v1, v2 ..."))
        else:
            violations.append(
                NameViolation(f"part {part!r}", "after the description come only _p<period> parts and _v<N>")
            )
    if len(periods) > 2:
        violations.append(
            NameViolation(
                "periods " + " ".join(f"p{period.text}" for period in periods),
                f"at most two periods (_p<FROM>_p<TO>), found {len(periods)}",
            )
        )
    elif len(periods) == 2 and all(period.form != "invalid" for period in periods):
        first, second = periods
        violations += [
            NameViolation(f"periods p{first.text} and p{second.text}", problem)
            for problem in period_order_problems(first.text, second.text)
        ]
    if violations:
        return None, violations
    return DatasetName(description, tuple(periods), version), []


def validate_dataset_name(stem: str, require_version: bool = True) -> list[NameViolation]:
    """Every violation of a dataset stem (``<description>_p<FROM>[_p<TO>]_v<N>``)."""
    name, violations = parse_dataset_name(stem)
    if name is not None and name.version is None and require_version:
        violations.append(
            NameViolation(
                f"name {stem!r}",
                "version missing: end the name with _v<N> (v0 while unstable, v1 and up once stable); only the "
                "latest copy beside its versioned file goes without",
            )
        )
    return violations


def split_extension(file_name: str) -> tuple[str, str]:
    """``name_p2024-12-31T23-59-30.000_v1.parquet`` -> (stem, "parquet"); a folder name has no extension."""
    match = EXTENSION.search(file_name)
    if match:
        return file_name[: match.start()], match["ext"]
    return file_name, ""


def validate_file_name(file_name: str, require_version: bool = True) -> list[NameViolation]:
    """A dataset file (or a metadata sibling ``<stem>__DOC.json``, or a partitioned dataset's folder name)."""
    sibling = SIBLING.match(file_name)
    stem = sibling["stem"] if sibling else split_extension(file_name)[0]
    violations = _chars("file name", stem.replace(".", "")) if not ALLOWED.match(stem.replace(".", "")) else []
    if violations:
        return violations
    if "." in stem and not re.search(r"T\d{2}-\d{2}-\d{2}\.\d{3}(_|$)", stem):
        return [NameViolation(f"file name {file_name!r}", "a . is allowed only before the file type and in .SSS")]
    return validate_dataset_name(stem, require_version)


def split_bucket(path: str) -> tuple[str | None, str]:
    """The bucket a storage path names and the path below it: ``gs://<bucket>/<below>`` and Dapla Lab's mount
    ``/buckets/<bucket>/<below>`` give ``(bucket, below)``; any other path is read from a bucket's root (or the
    storage root), ``(None, path)`` without a leading ``./``."""
    if "://" in path:
        bucket, _, below = path.split("://", 1)[1].partition("/")
        return bucket, below
    if path.startswith(BUCKET_MOUNT):
        bucket, _, below = path[len(BUCKET_MOUNT) :].partition("/")
        return bucket, below
    while path.startswith("./"):
        path = path[2:]
    return None, path


def _bucket_problems(path: str, bucket: str | None, below: str) -> list[NameViolation]:
    """What keeps a path from being read below a bucket: no bucket named, nothing below it, or an absolute path."""
    subject = f"path {path!r}"
    if bucket == "":
        where = "/buckets/" if path.startswith(BUCKET_MOUNT) else "gs://"
        return [NameViolation(subject, f"no bucket after {where}: write {where}<bucket>/<product>/<state>/<file>")]
    if bucket is None and below.startswith("/"):
        return [
            NameViolation(
                subject,
                "an absolute path outside /buckets/<bucket>/ names no bucket: write gs://<bucket>/<product>/..., "
                "/buckets/<bucket>/<product>/... (Dapla Lab) or the path below the bucket, <product>/<state>/<file>",
            )
        ]
    if not below.strip("/"):
        if bucket:
            return [NameViolation(subject, "empty below the bucket: write <product>/<state>/<file>")]
        return [NameViolation("path", "empty: write <product>/<state>/<file>")]
    return []


def validate_path(path: str, data_product: bool = False, allow_unversioned: bool = False) -> list[NameViolation]:
    """Every violation of a storage path: ``[<bucket>/]<product>/<state>/[sub-folders/]<file>``, the bucket as
    ``gs://<bucket>/`` or Dapla Lab's mount ``/buckets/<bucket>/`` (``split_bucket``); a path without one starts
    at the bucket's root.

    ``data_product``: the product is a data product, whose short name ends in ``_data``.
    ``allow_unversioned``: the file is the latest copy beside a versioned file, so ``_v<N>`` may be left out.
    Partitioned datasets: ``<product>/<state>/<stem>/<key>=<value>/.../data.parquet``.
    """
    bucket, text = split_bucket(path)
    problems = _bucket_problems(path, bucket, text)
    if problems:
        return problems
    parts = [part for part in text.strip("/").split("/") if part]
    violations: list[NameViolation] = []
    partition_at = next((i for i, part in enumerate(parts) if "=" in part), None)
    for index, part in enumerate(parts[:-1]):
        if partition_at is not None and index >= partition_at:
            if not PARTITION.match(part):
                violations.append(NameViolation(f"partition {part!r}", "write partition folders as key=value"))
        elif partition_at is None or index != partition_at - 1:  # a dataset folder is checked as a name below
            violations += _chars("folder", part)
    top = parts[0]
    if top in FREE_TOP_FOLDERS:
        violations += _chars("file name", split_extension(parts[-1])[0].replace(".", "")) if len(parts) > 1 else []
        return violations
    if len(parts) < 3:
        return [
            *violations,
            NameViolation(f"path {path!r}", "write <product>/<state>/<file> (temp/ and oppdrag/ are the exceptions)"),
        ]
    if data_product and not top.endswith("_data"):
        violations.append(NameViolation(f"product {top!r}", "a data product's short name ends in _data"))
    state = parts[1]
    if state not in STATE_FOLDERS:
        violations.append(
            NameViolation(f"state folder {state!r}", f"use one of {', '.join(STATE_FOLDERS)} (kildedata is not named)")
        )
    if "temp" in parts[2:-1]:
        return violations
    if partition_at is not None:
        if partition_at < 3:
            violations.append(NameViolation(f"partition {parts[partition_at]!r}", "partitions go below the dataset"))
            return violations
        dataset_folder = parts[partition_at - 1]
        return violations + validate_file_name(dataset_folder, require_version=not allow_unversioned)
    return violations + validate_file_name(parts[-1], require_version=not allow_unversioned)


def warehouse_identifier(stem: str) -> str:
    """The relation name of a dataset stem in every warehouse (macros/naming/warehouse_identifier.sql)."""
    return re.sub(r"[^a-z0-9_]", "_", stem.lower())
