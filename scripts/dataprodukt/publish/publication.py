"""Publish the built datasets: export each version to storage, record it in the register, move the latest alias.

Rules (SSB naming standard: any change to the data makes a new version; published data is never overwritten or
deleted):
- every change to a published version's code is classified first (publish/changes.py), before anything of a
  publication is written (``check_step``, before the metadata export): one that may change its data stops the
  publication, naming the model, the change and the command that makes the next version; one that cannot
  (formatting, comments, renames, descriptions) is accepted and the published version stands;
- every published version is checked against what the register recorded (relation and files), then its SQL runs
  on today's data into a candidate that is compared with it (publish/data_diff.py): identical data leaves nothing
  to do; different data is reported (``publisering/<state>/<stem>__diff.json``) and needs a new version:
  ``dataprodukt publish --new-version MODEL`` (or, with ``meta.new_version_on_correction``, the scheduled run)
  makes it;
- a stable version (v1 and up) is published once, in an order where a reader never sees a data file without its
  metadata: its Datadoc document (written by the export before this step), then its record file in storage (the
  claim: created only if absent, so of two runs publishing the same version exactly one goes on), then its data
  file(s), created only if absent, then a row in the warehouse register. A run that stops half-way leaves
  metadata without data, never data without metadata. A new version of a published model is compared with the
  version before it (``<stem>__changes.json``); when its code is the same (a correction) the record keeps a change
  note, which the Datadoc export writes as ``version_description`` (exported again once the record is stored);
- v0 is unstable: exported (replaced freely), never registered, and the latest only while there is no stable
  version; the latest alias points at the newest published stable version, so it only moves forward.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.provenance import git_commit, now
from dataprodukt.core.storage import Storage, require_bucket
from dataprodukt.core.warehouse import Warehouse
from dataprodukt.core.warehouse.compare import TableDiff, compare_tables, relation_checksum
from dataprodukt.datadoc.sinks import document_path_for
from dataprodukt.publish import data_diff, files
from dataprodukt.publish.basis import known_codes, publication_manifest, read_bases
from dataprodukt.publish.changes import VERSION_ID, same_code_apart_from_versions
from dataprodukt.publish.code_check import enforce, published_decisions
from dataprodukt.publish.fingerprints import NodeCode, closure, code_fingerprint, node_codes, sql_fingerprint
from dataprodukt.publish.latest import move_latest
from dataprodukt.publish.register import DEFAULT_SCHEMA, Record, Register, manifest_path, record_path, report_path
from dataprodukt.rules.identity import Dataset, node_meta

AUTO_META = "new_version_on_correction"


@dataclass
class Outcome:
    """What one publish step did, one line per dataset."""

    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unstable: list[str] = field(default_factory=list)
    latest: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # model -> the newest published version whose data today differs from what was published, with the diff
    differs: dict[str, tuple[Dataset, TableDiff]] = field(default_factory=dict)
    # the versions published with a change note (their documents are exported again to carry it)
    noted: list[str] = field(default_factory=list)

    def wanting_new_versions(self, requested: list[str], codes: dict[str, NodeCode]) -> list[Dataset]:
        """The versions to supersede: the requested models, those whose meta asks for it, and every published
        model whose data differs because one of those changed (upstream first)."""
        chosen: set[str] = set()
        for model, (dataset, _diff) in self.differs.items():  # upstream first
            upstream = {VERSION_ID.sub("", uid).rsplit(".", 1)[-1] for uid in closure(codes, dataset.unique_id)[:-1]}
            if model in requested or node_meta(dataset.node).get(AUTO_META) or upstream & chosen:
                chosen.add(model)
        return [self.differs[model][0] for model in self.differs if model in chosen]


def _say(line: str) -> None:
    print(f"publish: {line}", flush=True)


def publication_schema(variables: dict[str, Any]) -> str:
    return str(variables.get("publication_schema") or DEFAULT_SCHEMA)


def classified(
    context: RunContext, datasets: list[Dataset]
) -> tuple[dict[tuple[str, str], Record], dict[str, NodeCode], list[str]]:
    """The register's records by relation and the nodes' codes, after every change to a published version was
    classified: refuses (UserError, nothing written) a change that may alter its data; returns the notes said."""
    register = Register(context.warehouse, publication_schema(context.project.variables))
    register.ensure()
    records = {(record.relation_schema, record.relation_name): record for record in register.records()}
    bases = read_bases(context.storage, {dataset.product for dataset in datasets})
    codes = node_codes(context.manifest, known_codes(bases))
    decisions = published_decisions(context, datasets, records, codes, bases)
    return records, codes, enforce(context, decisions, datasets, records, register)


def check_step(context: RunContext) -> None:
    """The main job's step before anything of a publication is written (its metadata comes first)."""
    require_bucket(context.project, context.storage)
    _records, _codes, notes = classified(context, [d for d in context.datasets if d.version is not None])
    for note in notes:
        _say(f"note: {note}")


def publish(context: RunContext) -> Outcome:
    """The main job's publish step (after ``dbt build`` and the metadata export): see the module's docstring.

    The register is read again here, right before writing: a run that published meanwhile is seen, not raced."""
    manifest = context.manifest
    datasets = [dataset for dataset in context.datasets if dataset.version is not None]
    storage, warehouse = context.storage, context.warehouse
    outcome = Outcome()
    records, codes, notes = classified(context, datasets)
    outcome.notes.extend(notes)
    register = Register(warehouse, publication_schema(context.project.variables))
    commit = git_commit(context.project.root)
    for dataset in datasets:
        schema, name = dataset.relation[1:]
        record = records.get((schema, name))
        if record is not None:
            _say(f"{record.dataset} is published ({record.published_at}): left as it is")
            outcome.unchanged.append(record.dataset)
            continue
        content = files.read_relation(warehouse, schema, name)
        if not dataset.is_stable:
            files.write_latest(storage, dataset.storage_path, content, dataset.partition_by)
            _say(f"{dataset.stem} (v0, unstable): {content.row_count} rows -> {storage.uri(dataset.storage_path)}")
            outcome.unstable.append(dataset.stem)
            continue
        document = document_path_for(dataset)
        if not storage.exists(document):
            raise UserError(
                f"{dataset.stem} has no metadata document {storage.uri(document)}: export it first "
                "(`dataprodukt publish` and `dataprodukt run` do): a data file is published only after its metadata"
            )
        note = _compare_with_previous(context, dataset, datasets, records, codes)
        prepared = files.versioned_files(dataset.storage_path, content, dataset.partition_by)
        record = Record(
            dataset=dataset.stem,
            model=dataset.model,
            version=int(dataset.version or 0),
            product=dataset.product,
            dataset_state=dataset.dataset_state,
            period_from=dataset.period_from,
            period_to=dataset.period_to or "",
            relation_schema=schema,
            relation_name=name,
            file_path=str(dataset.storage_path),
            row_count=content.row_count,
            content_checksum=content.checksum,
            code_fingerprint=code_fingerprint(codes, dataset.unique_id),
            sql_fingerprint=sql_fingerprint(dataset.node),
            git_commit=commit,
            published_at=now().replace(tzinfo=None).isoformat(timespec="seconds"),
            relation_checksum=relation_checksum(warehouse, schema, name) or "",
            file_checksum=files.files_checksum(dataset.storage_path, prepared),
            change_note=note,
        )
        # the record is the claim: created only if absent, so of two runs publishing this version one goes on
        # and the other stops here (AlreadyStored) before writing any data file
        storage.write_new(
            record_path(dataset.product, dataset.storage_folder, dataset.stem), record.to_json().encode("utf-8")
        )
        files.write_versioned(storage, dataset.storage_path, content, dataset.partition_by, prepared)
        register.add(record)
        records[(schema, name)] = record
        _say(f"published {dataset.stem}: {content.row_count} rows -> {storage.uri(dataset.storage_path)}")
        if note:
            _say(f"{dataset.stem}: {note}")
            outcome.noted.append(dataset.stem)
        outcome.published.append(dataset.stem)
    _compare_published(context, datasets, records, codes, outcome)
    outcome.latest = move_latest(warehouse, storage, datasets, records, _say)
    if outcome.published:
        published = {
            dataset.unique_id: (dataset.stem, str(dataset.node.get("original_file_path")))
            for dataset in datasets
            if dataset.relation[1:] in records
        }
        stored = json.dumps(publication_manifest(manifest, codes, published)).encode("utf-8")
        for product in sorted({dataset.product for dataset in datasets}):
            storage.replace(manifest_path(product), stored)
            where = storage.uri(manifest_path(product))
            _say(f"manifest of this publication (what later changes are compared with): {where}")
    for note in outcome.notes:
        _say(f"note: {note}")
    return outcome


def step(context: RunContext) -> Outcome:
    """The main job's step: publish, one line per dataset."""
    return publish(context)


def newest_published(datasets: list[Dataset], records: dict[tuple[str, str], Record]) -> dict[str, Dataset]:
    """Per model, its newest stable version with a record."""
    newest: dict[str, Dataset] = {}
    for dataset in datasets:
        if not dataset.is_stable or dataset.relation[1:] not in records:
            continue
        if dataset.model not in newest or (dataset.version or 0) > (newest[dataset.model].version or 0):
            newest[dataset.model] = dataset
    return newest


def _compare_with_previous(
    context: RunContext,
    dataset: Dataset,
    datasets: list[Dataset],
    records: dict[tuple[str, str], Record],
    codes: dict[str, NodeCode],
) -> str:
    """A new version of a published model against the version before it: the report kept beside it, and the
    change note when it is a correction (the same code, other data)."""
    earlier = [
        other
        for other in datasets
        if other.model == dataset.model
        and other.is_stable
        and (other.version or 0) < (dataset.version or 0)
        and other.relation[1:] in records
    ]
    if not earlier:
        return ""
    previous = max(earlier, key=lambda other: other.version or 0)
    warehouse = context.warehouse
    diff = compare_tables(warehouse, previous.relation[1:], dataset.relation[1:], data_diff.grain(dataset))
    content = data_diff.report(diff, previous.stem, dataset.stem, bool(data_diff.grain(dataset)))
    path = report_path(dataset.product, dataset.storage_folder, dataset.stem, "changes")
    context.storage.replace(path, data_diff.report_bytes(content))
    correction = same_code_apart_from_versions(codes, dataset.unique_id, previous.unique_id)
    return data_diff.change_note(diff, int(previous.version or 0)) if correction and not diff.identical else ""


def _compare_published(
    context: RunContext,
    datasets: list[Dataset],
    records: dict[tuple[str, str], Record],
    codes: dict[str, NodeCode],
    outcome: Outcome,
) -> None:
    """Each model's newest published version: intact as recorded, and its data today (see the module)."""
    warehouse, storage = context.warehouse, context.storage
    newest = newest_published(datasets, records)
    ordered = sorted(newest.values(), key=lambda dataset: (len(closure(codes, dataset.unique_id)), dataset.unique_id))
    candidates: dict[str, tuple[str, str, TableDiff]] = {}
    try:
        for dataset in ordered:
            record = records[dataset.relation[1:]]
            data_diff.require_relation(warehouse, dataset, record)
            data_diff.check_files(storage, dataset, record)
            if dataset.stem in outcome.published:
                continue
            note = compare_with_today(warehouse, storage, dataset, record, candidates)
            if note:
                outcome.notes.append(note)
                outcome.differs[dataset.model] = (dataset, candidates[str(dataset.node.get("relation_name"))][2])
    finally:
        for schema, name, _diff in candidates.values():
            warehouse.drop_table(schema, name)


def compare_with_today(
    warehouse: Warehouse,
    storage: Storage,
    dataset: Dataset,
    record: Record,
    candidates: dict[str, tuple[str, str, TableDiff]],
) -> str | None:
    """Build the version's candidate from today's data (reading the candidates of changed versions upstream), check
    the published relation against its recorded checksum, and compare: None when the data is the same, else the
    note to give, with the report kept beside the publication. A differing candidate is kept in ``candidates``
    (by the relation name dbt writes) for the versions downstream; the caller drops them."""
    upstream = {relation: (schema, name) for relation, (schema, name, _diff) in candidates.items()}
    scratch = data_diff.build_candidate(warehouse, dataset, upstream)
    diff = data_diff.compare(warehouse, dataset, scratch)
    data_diff.check_relation(warehouse, dataset, record, diff.published_checksum)
    path = report_path(dataset.product, dataset.storage_folder, dataset.stem)
    declared = bool(data_diff.grain(dataset))
    if diff.identical:
        warehouse.drop_table(*scratch)
        if storage.exists(path):  # an earlier difference is gone: say so, never leave a stale report
            storage.replace(
                path, data_diff.report_bytes(data_diff.report(diff, record.dataset, "today's data", declared))
            )
        return None
    candidates[str(dataset.node.get("relation_name"))] = (*scratch, diff)
    content = data_diff.report(diff, record.dataset, "a candidate built from today's data", declared)
    storage.replace(path, data_diff.report_bytes(content))
    newer = max(dataset.latest_version or 0, dataset.version or 0) + 1
    return (
        f"upstream data changed since {record.dataset} was published ({record.row_count} rows then, "
        f"{diff.candidate_rows} now): it stays as published; {data_diff.summary(diff)}; report {storage.uri(path)}; "
        f"`dataprodukt publish --new-version {dataset.model}` publishes it as version {newer}"
    )
