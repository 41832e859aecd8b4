"""When each delivery was made, and the order deliveries may enter history in.

A delivery is one extract of the sources (a batch folder). Its delivery time is, in this order:
1. the manifest beside its files, ``delivery.json``: ``{"delivered_at": "2024-03-31T06:00:00"}`` (ISO 8601; a
   time without an offset is UTC);
2. its folder name, when that is a date or a date-time as the naming standard writes them: ``2024-03-31``,
   ``2024-03-31T06-00``, ``2024-03-31T06-00-00``, ``2024-03-31T06-00-00.000`` (UTC);
3. otherwise the moment it is loaded.

History records that time as ``gyldig_fra``/``gyldig_til`` (transaction time: when the warehouse could have known),
so deliveries are applied in delivery-time order, and one older than the newest already recorded is refused: it
would rewrite the past. Every time here is a naive ``datetime`` in UTC, as history stores it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dataprodukt.core.errors import UserError

MANIFEST = "delivery.json"
MANIFEST_FIELD = "delivered_at"
# a folder name that starts like a date is meant as a delivery time, and must be one
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}")
NAME_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H-%M", "%Y-%m-%dT%H-%M-%S", "%Y-%m-%dT%H-%M-%S.%f")
NAME_EXAMPLES = "2024-03-31 or 2024-03-31T06-00-00"


def text(moment: datetime) -> str:
    """A delivery time as the load log and dbt's var hold it: ``2024-03-31 06:00:00[.ffffff]`` (UTC)."""
    return moment.isoformat(sep=" ")


def utc(moment: datetime) -> datetime:
    """Naive UTC: an aware time is converted, a naive one is taken as UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def time_from_name(folder: Path) -> datetime | None:
    """The time a folder's name states, None when the name is no time at all; a date-like name must be valid."""
    name = folder.name
    if not LOOKS_LIKE_A_TIME.match(name):
        return None
    for pattern in NAME_FORMATS:
        try:
            return datetime.strptime(name, pattern)
        except ValueError:
            continue
    raise UserError(
        f"{folder}: the folder name {name!r} is not a delivery time: name it {NAME_EXAMPLES} (UTC), "
        f'or give the time in {folder / MANIFEST} as {{"{MANIFEST_FIELD}": "2024-03-31T06:00:00"}}'
    )


def time_from_manifest(folder: Path) -> datetime | None:
    """The time in the folder's ``delivery.json``; None when there is no manifest."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    hint = f'write {{"{MANIFEST_FIELD}": "2024-03-31T06:00:00"}} (ISO 8601; UTC unless an offset is given)'
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"{path}: can't be read as JSON ({error}): {hint}") from error
    value = content.get(MANIFEST_FIELD) if isinstance(content, dict) else None
    if not isinstance(value, str):
        raise UserError(f"{path}: no {MANIFEST_FIELD!r} in the manifest: {hint}")
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError as error:
        raise UserError(f"{path}: {MANIFEST_FIELD} {value!r} is not a time: {hint}") from error


def stated_time(folder: Path) -> tuple[datetime, str] | None:
    """The delivery time a folder states and where it says so, or None (then it is the load time)."""
    from_manifest = time_from_manifest(folder)
    from_name = time_from_name(folder)
    if from_manifest is not None and from_name is not None and from_manifest != from_name:
        raise UserError(
            f"{folder}: the folder name says {text(from_name)} but {MANIFEST} says {text(from_manifest)}: "
            "make them agree (or remove one)"
        )
    if from_manifest is not None:
        return from_manifest, MANIFEST
    if from_name is not None:
        return from_name, "folder name"
    return None


@dataclass(frozen=True)
class Delivery:
    """A delivery checked and fingerprinted, with its stated time (None: the load time will be its time)."""

    folder: Path
    digest: str
    at: datetime | None
    stated_by: str = "load time"

    @property
    def name(self) -> str:
        return self.folder.name


@dataclass(frozen=True)
class Recorded:
    """A delivery in the load log: its name, content fingerprint and delivery time (None: logged before times)."""

    name: str
    digest: str
    at: datetime | None


@dataclass(frozen=True)
class Plan:
    """What to load, in order, and what is already in history."""

    pending: list[Delivery]
    already: list[str]


def order(
    deliveries: Iterable[Delivery],
    recorded: Iterable[Recorded],
    newest_in_history: Mapping[str, datetime],
    now: datetime,
    in_progress: Iterable[str] = (),
) -> Plan:
    """The deliveries still to record, in delivery-time order (undated ones last, by name, at their load time).

    ``deliveries`` are those whose folder the load log does not hold (loader.prepare_batches skips an exact
    replay and refuses a changed one). Refuses, naming the folder and the times, every delivery that is in the
    future, that shares its time with another of different content, or that is older than what history already
    holds (the load log's newest, or the newest ``gyldig_fra`` of any history). ``in_progress`` names
    deliveries of an archive load that stopped before it was logged: history may already hold them, so they
    are not compared with it.
    """
    log = list(recorded)
    by_time = {entry.at: entry for entry in log if entry.at is not None}
    resumed = set(in_progress)
    problems: list[str] = []
    pending: list[Delivery] = []
    already: list[str] = []
    seen: dict[datetime, Delivery] = {}
    for delivery in sorted(deliveries, key=_order_key):
        if delivery.at is None:
            pending.append(delivery)
            continue
        if delivery.at > now:
            problems.append(
                f"{delivery.folder}: delivery time {text(delivery.at)} ({delivery.stated_by}) is in the future "
                f"(now {text(now)} UTC): fix the {delivery.stated_by}; times are UTC"
            )
            continue
        twin = seen.get(delivery.at) or by_time.get(delivery.at)
        if twin is not None:
            if twin.digest != delivery.digest:
                other = twin.folder if isinstance(twin, Delivery) else f"{twin.name} (already in history)"
                problems.append(
                    f"{delivery.folder} and {other} are both delivered at {text(delivery.at)} with different "
                    "content: a time holds one delivery; keep the right one, or date the other (folder name or "
                    f"{MANIFEST})"
                )
            else:
                already.append(delivery.name)
            continue
        seen[delivery.at] = delivery
        if delivery.name not in resumed:
            newest = _newest(log, newest_in_history)
            if newest is not None and delivery.at < newest[0]:
                problems.append(
                    f"{delivery.folder}: delivered at {text(delivery.at)}, older than {newest[1]} "
                    f"({text(newest[0])}): history is never rewritten in the past, so deliveries are recorded "
                    "oldest first. Remove the folder from this load, or record the whole archive in time order "
                    "in a new warehouse (`dataprodukt clean`, then `dataprodukt load --from ARCHIVE`)"
                )
                continue
        pending.append(delivery)
    if problems:
        raise UserError("\n".join(problems))
    return Plan(pending, already)


def _order_key(delivery: Delivery) -> tuple[int, datetime, str]:
    return (1, datetime.min, delivery.name) if delivery.at is None else (0, delivery.at, delivery.name)


def _newest(log: list[Recorded], newest_in_history: Mapping[str, datetime]) -> tuple[datetime, str] | None:
    """The newest time history holds, and what holds it (the load log or a history)."""
    # at a tie the load log's delivery is named: the folder an operator knows
    candidates = [(entry.at, 1, f"the delivery {entry.name} already in history") for entry in log if entry.at]
    candidates += [(moment, 0, f"the newest version in {history}") for history, moment in newest_in_history.items()]
    newest = max(candidates, default=None)
    return (newest[0], newest[2]) if newest else None
