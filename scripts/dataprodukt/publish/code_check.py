"""The classification of changes (publish/changes.py) where it runs: before the build, before publishing, and in
``dataprodukt check``.

- ``published_decisions``: every published version with a record, compared with the code kept beside its
  publication (publish/basis.py);
- ``enforce``: a change that may alter a published version's data stops everything, one line per version; a change
  that cannot is recorded as accepted (``publisering.kodeendringer``), so the build's own text check
  (macros/versioning/published_table.sql) lets it through, in ``dataprodukt run`` and in a plain ``dbt build``;
- ``before_build``: in the main job, the published models and everything upstream are compiled first (one dbt
  compile, about a second) and classified, so a refused change stops before anything is built.
"""

from __future__ import annotations

from typing import Any

from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.provenance import git_commit, now
from dataprodukt.publish.basis import Basis, known_codes, read_bases, state_modified
from dataprodukt.publish.changes import DATA_MAY_CHANGE, NO_DATA_CHANGE, Decision, classify
from dataprodukt.publish.fingerprints import NodeCode, code_fingerprint, node_codes, sql_fingerprint
from dataprodukt.publish.register import Record, Register
from dataprodukt.rules.identity import Dataset
from dataprodukt.rules.normalised_sql import dialect_of


def published_decisions(
    context: RunContext,
    datasets: list[Dataset],
    records: dict[tuple[str, str], Record],
    codes: dict[str, NodeCode],
    bases: dict[str, Basis],
) -> list[Decision]:
    """A decision for every published version whose code (by syntax tree, itself or upstream) or text moved."""
    published = [dataset for dataset in datasets if dataset.relation[1:] in records]
    moved = [
        dataset
        for dataset in published
        if records[dataset.relation[1:]].code_fingerprint != code_fingerprint(codes, dataset.unique_id)
        or records[dataset.relation[1:]].sql_fingerprint != sql_fingerprint(dataset.node)
    ]
    decisions: list[Decision] = []
    for product in sorted({dataset.product for dataset in moved}):
        basis = bases.get(product)
        subjects = {d.unique_id: (d.stem, str(d.node.get("original_file_path"))) for d in moved if d.product == product}
        if basis is None or not basis.comparable:
            modified = state_modified(context.project, basis) if basis is not None else None
            decisions.extend(_unexplained(moved, records, codes, product, modified))
            continue
        decisions.extend(classify(subjects, basis.codes, codes, dialect_of(context.manifest)))
        missing = set(subjects) - {decision.unique_id for decision in decisions}
        decisions.extend(_unexplained([d for d in moved if d.unique_id in missing], records, codes, product))
    return decisions


def _unexplained(
    datasets: list[Dataset],
    records: dict[tuple[str, str], Record],
    codes: dict[str, NodeCode],
    product: str,
    modified: set[str] | None = None,
) -> list[Decision]:
    """Versions without a stored normal form to compare with: dbt's state comparison (``modified``) says whether
    the code moved, else the fingerprints."""
    from dataprodukt.publish.changes import Finding

    found = []
    for dataset in datasets:
        if dataset.product != product:
            continue
        record = records[dataset.relation[1:]]
        if modified is not None:
            moved = dataset.unique_id in modified
        else:
            moved = record.code_fingerprint != code_fingerprint(codes, dataset.unique_id)
        decision = Decision(
            dataset.unique_id,
            dataset.model,
            int(dataset.version or 0),
            dataset.stem,
            str(dataset.node.get("original_file_path")),
        )
        what = "its code (or code upstream) differs from the published code, and no normal form of that code is kept"
        decision.findings.append(
            Finding(f"model {dataset.model}", False, moved, what if moved else "code text changed")
        )
        found.append(decision)
    return found


def enforce(
    context: RunContext,
    decisions: list[Decision],
    datasets: list[Dataset],
    records: dict[tuple[str, str], Record],
    register: Register,
) -> list[str]:
    """Refuse data changes (one UserError naming every one); accept the others. Returns the notes said."""
    by_id = {dataset.unique_id: dataset for dataset in datasets}
    refused = []
    for decision in decisions:
        if decision.verdict != DATA_MAY_CHANGE:
            continue
        dataset = by_id[decision.unique_id]
        record = records[dataset.relation[1:]]
        refused.append(
            decision.refusal(max(dataset.latest_version or 0, dataset.version or 0) + 1, record.published_at)
        )
    if refused:
        raise UserError("; ".join(refused))
    accepted = register.accepted()
    rows: list[dict[str, Any]] = []
    notes = []
    commit = git_commit(context.project.root)
    for decision in decisions:
        dataset = by_id[decision.unique_id]
        relation = dataset.relation[1:]
        record, text = records[relation], sql_fingerprint(dataset.node)
        if text != record.sql_fingerprint and text not in accepted.get(relation, set()):
            if decision.verdict == NO_DATA_CHANGE:
                notes.append(decision.note())  # once, when the text is first accepted
            rows.append(
                {
                    "relation_schema": relation[0],
                    "relation_name": relation[1],
                    "dataset": record.dataset,
                    "sql_fingerprint": text,
                    "code_fingerprint": record.code_fingerprint,
                    "change": decision.said(False)[:1000] or NO_DATA_CHANGE,
                    "git_commit": commit,
                    "accepted_at": now().replace(tzinfo=None),
                }
            )
    register.accept(rows)
    return notes


def before_build(context: RunContext, schema: str) -> None:
    """Compile the published models and their upstream, classify, refuse or accept: before ``dbt build``."""
    register = Register(context.warehouse, schema)
    if not context.warehouse.relation_columns(schema, register.table.name):
        return  # nothing published yet
    register.ensure()
    records = {(record.relation_schema, record.relation_name): record for record in register.records()}
    if not records:
        return
    parsed = context.datasets
    selected = [d for d in parsed if d.version is not None and d.relation[1:] in records]
    if not selected:
        return
    paths = sorted({f"+path:{d.node['original_file_path']}" for d in selected})
    # the models only: their tests need not be compiled to classify them
    context.invoke(["compile", "--select", *paths], ["--quiet", "--indirect-selection", "empty"])
    datasets = [d for d in context.datasets if d.version is not None]
    bases = read_bases(context.storage, {dataset.product for dataset in datasets})
    codes = node_codes(context.manifest, known_codes(bases))
    decisions = published_decisions(context, datasets, records, codes, bases)
    for note in enforce(context, decisions, datasets, records, Register(context.warehouse, schema)):
        print(f"versions: {note}", flush=True)
