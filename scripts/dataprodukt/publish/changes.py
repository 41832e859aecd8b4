"""Every change to a published version, classified by what it can do to the data.

The code as it was published (the normal forms kept in the publication's manifest, publish/fingerprints.py) is
compared with the code now, node by node, for the published model and everything upstream of it:

- **no data change possible**: the normal forms are the same; only the text (whitespace, comments, formatting,
  CTE and alias names, the order of equivalent clauses) or the metadata (descriptions, meta) changed. The build
  goes on, the register keeps the published fingerprint, the metadata is exported again;
- **data may change**: a normal form differs (a filter, a join, an expression, a cast, a column, a code list, a
  snapshot setting, a node upstream added, removed or changed). The published version is refused, with what
  changed and the command that makes the next version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dataprodukt.publish.fingerprints import NodeCode, closure
from dataprodukt.rules.sql_change import column_changes, query_changes, text_changes

UNCHANGED = "unchanged"
NO_DATA_CHANGE = "no data change possible"
DATA_MAY_CHANGE = "data may change"
SHOWN = 2  # changes named in a message; the rest are counted
# a versioned model as the normal form writes it (sykefravaer_person__v1), and its unique_id's version
VERSION_TOKEN = re.compile(r"\b(\w+?)__v[0-9]+\b")
VERSION_ID = re.compile(r"\.v[0-9]+$")


@dataclass(frozen=True)
class Finding:
    """One difference found in one node."""

    node: str  # "model int_kvartaler", "seed fylker"
    upstream: bool
    data: bool
    what: str

    def __str__(self) -> str:
        return f"{self.node}: {self.what}" if self.upstream else self.what


@dataclass
class Decision:
    """The classification of one published version."""

    unique_id: str
    model: str
    version: int
    dataset: str
    file: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if any(finding.data for finding in self.findings):
            return DATA_MAY_CHANGE
        return NO_DATA_CHANGE if self.findings else UNCHANGED

    def said(self, data: bool) -> str:
        """The findings of one kind in a line or two."""
        chosen = [str(finding) for finding in self.findings if finding.data == data]
        text = "; ".join(chosen[:SHOWN])
        return text + (f" (and {len(chosen) - SHOWN} more)" if len(chosen) > SHOWN else "")

    def refusal(self, next_version: int, published_at: str = "") -> str:
        """The message for a data change to a published version."""
        when = f" since {published_at}" if published_at else ""
        return (
            f"{self.dataset} is published; add version {next_version} to change it (model {self.model} "
            f"v{self.version}, {self.file}): {DATA_MAY_CHANGE}{when}: {self.said(True)}. Undo the change, or make "
            f"it in v{next_version}: `dataprodukt version {self.model}` moves it there and puts v{self.version} back "
            "as published"
        )

    def note(self) -> str:
        return f"{self.dataset}: {NO_DATA_CHANGE} ({self.said(False)}): the published version stands"


def classify(
    published: dict[str, tuple[str, str]],
    before: dict[str, NodeCode],
    after: dict[str, NodeCode],
    dialect: str | None,
) -> list[Decision]:
    """A decision per published version (``unique_id -> (dataset, file)``) present in both codes."""
    decisions = []
    for unique_id, (dataset, file) in sorted(published.items()):
        if unique_id not in before or unique_id not in after:
            continue
        own = after[unique_id]
        model, _, version = own.name.partition(" v")
        decision = Decision(unique_id, model, int(version or 0), dataset, file or own.file)
        old_nodes, new_nodes = closure(before, unique_id), closure(after, unique_id)
        # its own changes first, then upstream, nearest first
        order = [unique_id, *reversed(new_nodes[:-1]), *(node for node in old_nodes if node not in new_nodes)]
        for node in order:
            decision.findings.extend(compare(before.get(node), after.get(node), node != unique_id, dialect))
        decisions.append(decision)
    return decisions


def compare(old: NodeCode | None, new: NodeCode | None, upstream: bool, dialect: str | None) -> list[Finding]:
    """What changed in one node between two codes."""
    if old is None and new is not None:
        return [Finding(new.label, upstream, True, "now read (it was not when published)")]
    if new is None and old is not None:
        return [Finding(old.label, upstream, True, "no longer read")]
    assert old is not None and new is not None
    if old.fingerprint == new.fingerprint:
        found = []
        if old.text != new.text:
            kind = "comments or formatting" if old.readable == new.readable else "names, order or formatting"
            found.append(Finding(new.label, upstream, False, f"code text changed ({kind}), same syntax tree"))
        if old.metadata != new.metadata:
            found.append(Finding(new.label, upstream, False, "description or meta edited"))
        return found
    return [Finding(new.label, upstream, True, what) for what in _data_changes(old, new, dialect)]


def _data_changes(old: NodeCode, new: NodeCode, dialect: str | None) -> list[str]:
    if new.kind == "seed":
        changes = text_changes(old.readable, new.readable) if old.readable and new.readable else []
        changes += [
            f"{key} changed" for key in sorted({*old.config, *new.config}) if old.config.get(key) != new.config.get(key)
        ]
        return changes or ["code list changed"]
    changes = column_changes(old.columns, new.columns)
    named = {change.split(": ", 1)[-1].split(" ")[0] for change in changes}
    changes += [
        change
        for change in query_changes(old.readable, new.readable, dialect)
        if not (
            change.startswith(("column added: ", "column dropped: "))
            and change.split(": ", 1)[1].split(" ")[0] in named
        )
    ]
    changes += [
        f"{key} changed: {old.config.get(key)} -> {new.config.get(key)}"
        for key in sorted({*old.config, *new.config})
        if old.config.get(key) != new.config.get(key)
    ]
    return changes or ["the query changed"]


def same_code_apart_from_versions(codes: dict[str, NodeCode], new: str, old: str) -> bool:
    """Whether two versions of a model compute their data the same way, reading other versions of the same models
    upstream: a new version made for corrected data (and what it reads) has the code of the one before."""
    first, second = codes.get(new), codes.get(old)
    if first is None or second is None:
        return False
    if (_unversioned(first.code), first.columns, first.config) != (
        _unversioned(second.code),
        second.columns,
        second.config,
    ):
        return False
    pairs = dict(zip(*(sorted(parents, key=_model_of) for parents in (first.parents, second.parents)), strict=False))
    if sorted(map(_model_of, first.parents)) != sorted(map(_model_of, second.parents)):
        return False
    return all(a == b or same_code_apart_from_versions(codes, a, b) for a, b in pairs.items())


def _unversioned(code: str) -> str:
    return VERSION_TOKEN.sub(r"\1", code)


def _model_of(unique_id: str) -> str:
    return VERSION_ID.sub("", unique_id)
