"""Compare two relations in the warehouse: rows added, removed and changed (per column), and schema differences.

By key when the grain is known (a full outer join on the key columns), by whole rows otherwise (a count per
distinct row on each side). Both go in two passes, so identical data costs one scan of each table:

1. every row's hash (over the columns both sides have) is summed per bucket of its key's hash (4,096 buckets);
   buckets whose count or sum differ hold every difference, and equal sums everywhere mean equal data;
2. only the rows in differing buckets are read again (into two small tables beside the candidate), joined and
   counted, with the first examples of each kind.

The SQL is standard apart from the hash, its sum, text casts and creating a table, which each engine gives
(``row_hash``, ``hash_total``, ``bucket``, ``as_text``, ``create_table_as`` in the engine modules).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from dataprodukt.core.warehouse.base import Warehouse

BUCKETS = 4_096
# above this many differing buckets the second pass reads every row (an IN list that long costs more than it saves)
MAX_FILTERED_BUCKETS = 1_000
EXAMPLES = 5


@dataclass
class TableDiff:
    """How a candidate relation differs from a published one."""

    key: list[str]
    published_rows: int = 0
    candidate_rows: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    changed_columns: dict[str, int] = field(default_factory=dict)
    added_columns: list[tuple[str, str]] = field(default_factory=list)
    removed_columns: list[tuple[str, str]] = field(default_factory=list)
    type_changes: list[tuple[str, str, str]] = field(default_factory=list)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # the published relation's checksum (engine, rows, hash sum), when the pass over it covered every column
    published_checksum: str | None = None

    @property
    def schema_changed(self) -> bool:
        return bool(self.added_columns or self.removed_columns or self.type_changes)

    @property
    def identical(self) -> bool:
        return not (self.schema_changed or self.added or self.removed or self.changed)


def relation_checksum(warehouse: Warehouse, schema: str, name: str) -> str | None:
    """``<engine>:<rows>:<sum of row hashes>`` over every column, in one scan; None when the relation is missing."""
    columns = warehouse.relation_columns(schema, name)
    if not columns:
        return None
    row = warehouse.query(
        f"select count(*), {warehouse.hash_total(warehouse.row_hash([warehouse.quote(c) for c, _ in columns]))} "
        f"from {warehouse.quote(schema, name)}"
    )[0]
    return _checksum(warehouse, int(row[0] or 0), row[1])


def _checksum(warehouse: Warehouse, rows: int, total: Any) -> str:
    return f"{warehouse.hash_version()}:{rows}:{int(total or 0)}"


def compare_tables(
    warehouse: Warehouse,
    published: tuple[str, str],
    candidate: tuple[str, str],
    key: list[str],
    examples: int = EXAMPLES,
) -> TableDiff:
    """How ``candidate`` differs from ``published`` (both ``(schema, name)``), by ``key`` when given."""
    before = warehouse.relation_columns(*published)
    after = {name.lower(): (name, kind) for name, kind in warehouse.relation_columns(*candidate)}
    found = {name.lower() for name, _ in before}
    diff = TableDiff(key=[])
    diff.added_columns = [column for lowered, column in after.items() if lowered not in found]
    diff.removed_columns = [(name, kind) for name, kind in before if name.lower() not in after]
    diff.type_changes = [
        (name, kind, after[name.lower()][1])
        for name, kind in before
        if name.lower() in after and _type(kind) != _type(after[name.lower()][1])
    ]
    common = [name for name, _ in before if name.lower() in after]
    retyped = {name for name, _old, _new in diff.type_changes}
    values = {name: _value(warehouse, name, name in retyped) for name in common}
    diff.key = [name for name in common if name.lower() in {part.lower() for part in key}] if key else []
    if key and len(diff.key) != len(key):
        diff.key = []  # a key column is gone: compare whole rows
    first = _bucket_sums(warehouse, published, candidate, common, values, diff.key)
    diff.published_rows, diff.candidate_rows = first.rows
    if not retyped and len(common) == len(before):
        diff.published_checksum = _checksum(warehouse, first.rows[0], first.published_total)
    if not first.differing:
        return diff
    where = ""
    if len(first.differing) <= MAX_FILTERED_BUCKETS:
        where = f" where {first.bucket_expression} in ({', '.join(str(b) for b in sorted(first.differing))})"
    left = f"select {', '.join(f'{values[name]} as {warehouse.quote(name)}' for name in common)} from "
    sides = (left + warehouse.quote(*published) + where, left + warehouse.quote(*candidate) + where)
    kept: list[tuple[str, str]] = []
    if where:
        # the rows of the differing buckets, read once into small tables that the counts and examples then read
        stem = "diff_" + hashlib.md5(".".join(candidate).encode("utf-8")).hexdigest()[:12]
        kept = [(candidate[0], f"{stem}_p"), (candidate[0], f"{stem}_c")]
        for side, select in zip(kept, sides, strict=True):
            warehouse.create_table_as(*side, select)
        sides = (f"select * from {warehouse.quote(*kept[0])}", f"select * from {warehouse.quote(*kept[1])}")
    try:
        if diff.key:
            _by_key(warehouse, diff, sides, common, examples)
        else:
            _by_row(warehouse, diff, sides, common, examples)
    finally:
        for side in kept:
            warehouse.drop_table(*side)
    return diff


def _type(kind: str) -> str:
    return " ".join(kind.lower().replace("character varying", "varchar").split())


def _value(warehouse: Warehouse, name: str, as_text: bool) -> str:
    quoted = warehouse.quote(name)
    return warehouse.as_text(quoted) if as_text else quoted


@dataclass
class _FirstPass:
    rows: tuple[int, int]
    published_total: int
    differing: set[int]
    bucket_expression: str


def _bucket_sums(
    warehouse: Warehouse,
    published: tuple[str, str],
    candidate: tuple[str, str],
    common: list[str],
    values: dict[str, str],
    key: list[str],
) -> _FirstPass:
    row_hash = warehouse.row_hash([values[name] for name in common]) if common else "0"
    bucket = warehouse.bucket(warehouse.row_hash([values[name] for name in key]) if key else row_hash, BUCKETS)
    sums = []
    for relation in (published, candidate):
        rows = warehouse.query(
            f"select {bucket} as b, count(*) as n, {warehouse.hash_total(row_hash)} as h "
            f"from {warehouse.quote(*relation)} group by 1"
        )
        sums.append({int(b): (int(n), int(h or 0)) for b, n, h in rows})
    differing = {b for b in sums[0].keys() | sums[1].keys() if sums[0].get(b) != sums[1].get(b)}
    counts = (sum(n for n, _ in sums[0].values()), sum(n for n, _ in sums[1].values()))
    return _FirstPass(counts, sum(h for _, h in sums[0].values()), differing, bucket)


def _by_key(warehouse: Warehouse, diff: TableDiff, sides: tuple[str, str], common: list[str], limit: int) -> None:
    quote = warehouse.quote
    others = [name for name in common if name not in diff.key]
    on = " and ".join(f"p.{quote(k)} = c.{quote(k)}" for k in diff.key)
    probe = quote(diff.key[0])
    both = f"p.{probe} is not null and c.{probe} is not null"
    differs = {name: f"p.{quote(name)} is distinct from c.{quote(name)}" for name in others}
    any_differs = " or ".join(differs.values()) or "false"
    counts = [
        f"sum(case when p.{probe} is null then 1 else 0 end)",
        f"sum(case when c.{probe} is null then 1 else 0 end)",
        f"sum(case when {both} and ({any_differs}) then 1 else 0 end)",
        *(f"sum(case when {both} and {condition} then 1 else 0 end)" for condition in differs.values()),
    ]
    joined = f"from ({sides[0]}) as p full outer join ({sides[1]}) as c on {on}"
    row = warehouse.query(f"select {', '.join(counts)} {joined}")[0]
    diff.added, diff.removed, diff.changed = (int(value or 0) for value in row[:3])
    diff.changed_columns = {name: int(value or 0) for name, value in zip(others, row[3:], strict=True) if value}
    order = ", ".join(f"coalesce(p.{quote(k)}, c.{quote(k)})" for k in diff.key)
    kinds = {
        "added": (f"p.{probe} is null", "c"),
        "removed": (f"c.{probe} is null", "p"),
        "changed": (f"{both} and ({any_differs})", None),
    }
    names = ", ".join([*(f"p.{quote(n)}" for n in common), *(f"c.{quote(n)}" for n in common)])
    for kind, (condition, side) in kinds.items():
        if not getattr(diff, kind):
            continue
        found = warehouse.query(f"select {names} {joined} where {condition} order by {order} limit {int(limit)}")
        diff.examples[kind] = [_example(common, diff.key, row, side) for row in found]


def _example(common: list[str], key: list[str], row: tuple[Any, ...], side: str | None) -> dict[str, Any]:
    published, candidate = (
        dict(zip(common, row[: len(common)], strict=True)),
        dict(zip(common, row[len(common) :], strict=True)),
    )
    if side == "c":
        return {name: _plain(value) for name, value in candidate.items()}
    if side == "p":
        return {name: _plain(value) for name, value in published.items()}
    example: dict[str, Any] = {name: _plain(published[name]) for name in key}
    for name in common:
        if name not in key and published[name] != candidate[name]:
            example[name] = {"published": _plain(published[name]), "candidate": _plain(candidate[name])}
    return example


def _by_row(warehouse: Warehouse, diff: TableDiff, sides: tuple[str, str], common: list[str], limit: int) -> None:
    quote = warehouse.quote
    names = ", ".join(quote(name) for name in common)
    counted = (
        f"select {names}, sum(np) as np, sum(nc) as nc from ("
        f"select {names}, 1 as np, 0 as nc from ({sides[0]}) as p union all "
        f"select {names}, 0 as np, 1 as nc from ({sides[1]}) as c) as both_sides "
        f"group by {names} having sum(np) <> sum(nc)"
    )
    row = warehouse.query(
        "select sum(case when nc > np then nc - np else 0 end), sum(case when np > nc then np - nc else 0 end) "
        f"from ({counted}) as counted"
    )[0]
    diff.added, diff.removed = int(row[0] or 0), int(row[1] or 0)
    for kind, condition in (("added", "nc > np"), ("removed", "np > nc")):
        if getattr(diff, kind):
            found = warehouse.query(f"select {names} from ({counted}) as counted where {condition} limit {int(limit)}")
            diff.examples[kind] = [
                {name: _plain(value) for name, value in zip(common, item, strict=True)} for item in found
            ]


def _plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
