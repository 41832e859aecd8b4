"""What changed between two versions of a query, said in a few short lines: "where clause added:
antall_personer > 0", "join changed: left join virksomheter -> inner join virksomheter", "column dropped: prikket".

The queries are compared clause by clause on their syntax trees (the readable normal form of
rules/normalised_sql.py): each CTE by name, then the final query; within a SELECT the columns (by output name),
FROM, joins, WHERE, GROUP BY, HAVING, QUALIFY, DISTINCT, ORDER BY and LIMIT. Only for messages: whether data can
change is decided by the canonical form, never here.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

SHORT = 90
CLAUSES = (
    ("where", "where clause"),
    ("group", "group by"),
    ("having", "having clause"),
    ("qualify", "qualify clause"),
    ("distinct", "distinct"),
    ("order", "order by"),
    ("limit", "limit"),
)


def short(node: exp.Expr | None, dialect: str | None) -> str:
    """A clause's SQL on one line, cut to a readable length."""
    if node is None:
        return ""
    text = " ".join(node.sql(dialect=dialect, copy=False).split())
    for keyword in ("WHERE ", "GROUP BY ", "HAVING ", "QUALIFY ", "ORDER BY ", "LIMIT "):
        text = text.removeprefix(keyword)
    return text if len(text) <= SHORT else text[: SHORT - 3] + "..."


def query_changes(old: str, new: str, dialect: str | None) -> list[str]:
    """The differences between two queries, most telling first; empty when the trees are the same."""
    try:
        before, after = sqlglot.parse_one(old, read=dialect), sqlglot.parse_one(new, read=dialect)
    except SqlglotError:
        return ["the query changed (it could not be parsed to say how)"] if old != new else []
    changes: list[str] = []
    old_names = [cte.alias for cte in before.find_all(exp.CTE)]
    new_names = [cte.alias for cte in after.find_all(exp.CTE)]
    # a renamed step is paired with the unmatched step in its place, so a rename alone says nothing
    unmatched_old = [name for name in old_names if name not in new_names]
    unmatched_new = [name for name in new_names if name not in old_names]
    after = _renamed(after, dict(zip(unmatched_new, unmatched_old, strict=False)))
    old_ctes = {cte.alias: cte.this for cte in before.find_all(exp.CTE)}
    new_ctes = {cte.alias: cte.this for cte in after.find_all(exp.CTE)}
    for name in new_ctes:
        if name in old_ctes and old_ctes[name].sql(copy=False) != new_ctes[name].sql(copy=False):
            changes.extend(f"in {name}: {change}" for change in select_changes(old_ctes[name], new_ctes[name], dialect))
    changes.extend(select_changes(_without_ctes(before), _without_ctes(after), dialect))
    changes.extend(f"step {name} added" for name in new_ctes if name not in old_ctes)
    changes.extend(f"step {name} removed" for name in old_ctes if name not in new_ctes)
    return changes


def _renamed(tree: exp.Expr, names: dict[str, str]) -> exp.Expr:
    """The tree with CTEs (their definitions, the tables that read them, the columns that name them) renamed."""
    if not names:
        return tree
    tree = tree.copy()
    for cte in tree.find_all(exp.CTE):
        if cte.alias in names:
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(names[cte.alias])))
    for table in tree.find_all(exp.Table):
        if not table.args.get("db") and table.name in names:
            table.set("this", exp.to_identifier(names[table.name]))
    for column in tree.find_all(exp.Column):
        if column.table in names:
            column.set("table", exp.to_identifier(names[column.table]))
    return tree


def _without_ctes(tree: exp.Expr) -> exp.Expr:
    copy = tree.copy()
    copy.set("with_", None)
    return copy


def select_changes(old: exp.Expr, new: exp.Expr, dialect: str | None) -> list[str]:
    if old.sql(copy=False) == new.sql(copy=False):
        return []
    if not (isinstance(old, exp.Select) and isinstance(new, exp.Select)):
        return [f"query changed: {short(old, dialect)} -> {short(new, dialect)}"]
    changes = _column_changes(old, new, dialect)
    changes.extend(_source_changes(old, new, dialect))
    for key, label in CLAUSES:
        before, after = old.args.get(key), new.args.get(key)
        if before is None and after is not None:
            changes.append(f"{label} added: {short(after, dialect)}")
        elif before is not None and after is None:
            changes.append(f"{label} removed: {short(before, dialect)}")
        elif before is not None and after is not None and before.sql(copy=False) != after.sql(copy=False):
            changes.append(f"{label} changed: {short(before, dialect)} -> {short(after, dialect)}")
    return changes or [f"query changed: {short(old, dialect)} -> {short(new, dialect)}"]


def _column_changes(old: exp.Select, new: exp.Select, dialect: str | None) -> list[str]:
    before = {projection.alias_or_name.lower(): projection.unalias() for projection in old.expressions}
    after = {projection.alias_or_name.lower(): projection.unalias() for projection in new.expressions}
    added = [name for name in after if name not in before]
    dropped = [name for name in before if name not in after]
    changes = []
    for name in list(dropped):
        twin = next((other for other in added if after[other].sql(copy=False) == before[name].sql(copy=False)), None)
        if twin is not None and name != "*":
            changes.append(f"column renamed: {name} -> {twin}")
            dropped.remove(name)
            added.remove(twin)
    changes.extend(f"column added: {_column(name, after[name], dialect)}" for name in added)
    changes.extend(f"column dropped: {name}" for name in dropped)
    for name in after:
        if name in before and before[name].sql(copy=False) != after[name].sql(copy=False):
            changes.append(f"column {name} changed: {short(before[name], dialect)} -> {short(after[name], dialect)}")
    if not changes and [*before] != [*after]:
        changes.append("column order changed: " + ", ".join(after))
    return changes


def _column(name: str, expression: exp.Expr, dialect: str | None) -> str:
    text = short(expression, dialect)
    return name if text.lower() == name else f"{name} = {text}"


def _source_changes(old: exp.Select, new: exp.Select, dialect: str | None) -> list[str]:
    changes = []
    before_from, after_from = old.args.get("from_"), new.args.get("from_")
    if (before_from.sql(copy=False) if before_from else "") != (after_from.sql(copy=False) if after_from else ""):
        changes.append(f"reads {short(after_from, dialect)} instead of {short(before_from, dialect)}")
    before = {_join_name(join): join for join in old.args.get("joins") or []}
    after = {_join_name(join): join for join in new.args.get("joins") or []}
    changes.extend(f"join added: {short(after[name], dialect)}" for name in after if name not in before)
    changes.extend(f"join removed: {short(before[name], dialect)}" for name in before if name not in after)
    for name in after:
        if name not in before or before[name].sql(copy=False) == after[name].sql(copy=False):
            continue
        old_on, new_on = before[name].args.get("on"), after[name].args.get("on")
        if _join_kind(before[name]) != _join_kind(after[name]):
            changes.append(f"join changed: {_join_kind(before[name])} {name} -> {_join_kind(after[name])} {name}")
        if (old_on.sql(copy=False) if old_on else "") != (new_on.sql(copy=False) if new_on else ""):
            changes.append(f"join condition on {name} changed: {short(old_on, dialect)} -> {short(new_on, dialect)}")
        if _join_kind(before[name]) == _join_kind(after[name]) and (old_on.sql(copy=False) if old_on else "") == (
            new_on.sql(copy=False) if new_on else ""
        ):
            changes.append(f"join changed: {short(before[name], dialect)} -> {short(after[name], dialect)}")
    return changes


def _join_kind(join: exp.Expr) -> str:
    words = [str(join.args.get(part) or "").lower() for part in ("method", "side", "kind")]
    return " ".join(word for word in words if word) + " join" if any(words) else "join"


def _join_name(join: exp.Join) -> str:
    source = join.this
    return str(source.alias_or_name if isinstance(source, exp.Expr) else source).lower()


def column_changes(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[str]:
    """Differences between two contracts' columns (name, data_type): added, dropped, renamed, type changed."""
    before, after = dict(old), dict(new)
    added = [name for name in after if name not in before]
    dropped = [name for name in before if name not in after]
    changes = []
    positions = {name: position for position, (name, _kind) in enumerate(old)}
    for position, (name, kind) in enumerate(new):
        if name in added:
            twin = next(
                (gone for gone in dropped if positions[gone] == position and before[gone].lower() == kind.lower()),
                None,
            )
            if twin is not None:
                changes.append(f"column renamed: {twin} -> {name}")
                dropped.remove(twin)
                added.remove(name)
    changes.extend(f"column added: {name} ({after[name] or 'no type'})" for name in added)
    changes.extend(f"column dropped: {name}" for name in dropped)
    changes.extend(
        f"column type changed: {name} {before[name] or '?'} -> {after[name] or '?'}"
        for name in after
        if name in before and before[name].lower() != after[name].lower()
    )
    return changes


def text_changes(old: str, new: str, what: str = "row") -> list[str]:
    """Lines of a small text (a seed's CSV) added and removed, the first of each shown."""
    before, after = old.splitlines(), new.splitlines()
    if before[:1] != after[:1]:
        return [f"columns changed: {before[0] if before else ''} -> {after[0] if after else ''}"]
    removed = sorted(set(before[1:]) - set(after[1:]))
    added = sorted(set(after[1:]) - set(before[1:]))
    parts = [
        f"{len(lines)} {what}(s) {how} ({lines[0]}{', ...' if len(lines) > 1 else ''})"
        for lines, how in ((added, "added"), (removed, "removed"))
        if lines
    ]
    return [", ".join(parts)] if parts else []
