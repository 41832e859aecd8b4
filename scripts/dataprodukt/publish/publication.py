"""Publish the built datasets: export each version to storage, record it in the register, move the latest alias.

Rules (SSB naming standard, "published data is never overwritten or deleted"):
- a stable version (v1 and up) is published once: its file is written under a temporary name and renamed into
  place, never replacing a file; a row goes into the warehouse register and a record file into storage;
- a published version is never rebuilt: the ``published_table`` materialization skips it in every build, and this
  step refuses to go on when the code that made it (its own or anything upstream) has changed since, naming the
  model and the version to add; nothing is written then;
- data upstream that changed after publication is reported, never republished;
- v0 is unstable: exported (replaced freely), never registered, and the latest only while there is no stable
  version;
- the latest alias (a view without ``_v<N>`` and a copy of the file without ``_v<N>``) points at the newest
  published stable version, so it only moves forward.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.provenance import git_commit, now
from dataprodukt.core.storage import Storage
from dataprodukt.core.warehouse import Warehouse
from dataprodukt.publish import files
from dataprodukt.publish.fingerprints import code_fingerprint, sql_fingerprint
from dataprodukt.publish.latest import move_latest
from dataprodukt.publish.register import DEFAULT_SCHEMA, Record, Register, manifest_path, record_path
from dataprodukt.rules.identity import Dataset


@dataclass
class Outcome:
    """What one publish step did, one line per dataset."""

    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unstable: list[str] = field(default_factory=list)
    latest: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _say(line: str) -> None:
    print(f"publish: {line}", flush=True)


def refused(dataset: Dataset, record: Record, storage: Storage) -> str:
    """The message for a published version whose code changed."""
    newest = max(dataset.latest_version or 0, dataset.version or 0)
    return (
        f"{record.dataset} is published; add version {newest + 1} to change it "
        f"(model {dataset.model} v{dataset.version}, {dataset.node.get('original_file_path')}): the code that made it, "
        f"or code upstream of it, changed since {record.published_at}; the relation "
        f"{record.relation_schema}.{record.relation_name} and the file {storage.uri(record.file_path)} "
        "are left as they are"
    )


def publication_schema(variables: dict[str, Any]) -> str:
    return str(variables.get("publication_schema") or DEFAULT_SCHEMA)


def publish(context: RunContext) -> Outcome:
    """The main job's publish step (after ``dbt build``): see the module's docstring."""
    manifest = context.manifest
    datasets = [dataset for dataset in context.datasets if dataset.version is not None]
    storage, warehouse = context.storage, context.warehouse
    outcome = Outcome()
    register = Register(warehouse, publication_schema(context.project.variables))
    register.ensure()
    records = {(record.relation_schema, record.relation_name): record for record in register.records()}
    fingerprints = {dataset.unique_id: code_fingerprint(manifest, dataset.unique_id) for dataset in datasets}
    problems = [
        refused(dataset, records[dataset.relation[1:]], storage)
        for dataset in datasets
        if dataset.relation[1:] in records
        and records[dataset.relation[1:]].code_fingerprint != fingerprints[dataset.unique_id]
    ]
    if problems:
        raise UserError("; ".join(problems))
    commit = git_commit(context.project.root)
    for dataset in datasets:
        schema, name = dataset.relation[1:]
        record = records.get((schema, name))
        if record is not None:
            _say(f"{record.dataset} is published ({record.published_at}): left as it is")
            outcome.unchanged.append(record.dataset)
            _report_drift(warehouse, dataset, record, outcome)
            continue
        content = files.read_relation(warehouse, schema, name)
        if not dataset.is_stable:
            files.write_latest(storage, dataset.storage_path, content, dataset.partition_by)
            _say(f"{dataset.stem} (v0, unstable): {content.row_count} rows -> {storage.uri(dataset.storage_path)}")
            outcome.unstable.append(dataset.stem)
            continue
        files.write_versioned(storage, dataset.storage_path, content, dataset.partition_by)
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
            code_fingerprint=fingerprints[dataset.unique_id],
            sql_fingerprint=sql_fingerprint(dataset.node),
            git_commit=commit,
            published_at=now().replace(tzinfo=None).isoformat(timespec="seconds"),
        )
        storage.write_new(
            record_path(dataset.product, dataset.storage_folder, dataset.stem), record.to_json().encode("utf-8")
        )
        register.add(record)
        records[(schema, name)] = record
        _say(f"published {dataset.stem}: {content.row_count} rows -> {storage.uri(dataset.storage_path)}")
        outcome.published.append(dataset.stem)
    outcome.latest = move_latest(warehouse, storage, datasets, records, _say)
    if outcome.published:
        for product in sorted({dataset.product for dataset in datasets}):
            storage.replace(manifest_path(product), json.dumps(shareable_manifest(manifest)).encode("utf-8"))
            _say(f"manifest of this publication (the state CI compares with): {storage.uri(manifest_path(product))}")
    for note in outcome.notes:
        _say(f"note: {note}")
    return outcome


def step(context: RunContext) -> None:
    """The main job's step: publish, one line per dataset."""
    publish(context)


def _report_drift(warehouse: Warehouse, dataset: Dataset, record: Record, outcome: Outcome) -> None:
    """Run the published model's SQL on today's data: if the result differs, say so (never republish)."""
    sql = str(dataset.node.get("compiled_code") or "").strip().rstrip(";")
    if not sql:
        return
    current = files.read_query(warehouse, f"select * from ({sql}) as current_data")
    if current.checksum != record.content_checksum:
        newest = max(dataset.latest_version or 0, dataset.version or 0)
        outcome.notes.append(
            f"upstream data changed since {record.dataset} was published ({record.row_count} rows then, "
            f"{current.row_count} now): it stays as published; add version {newest + 1} to publish the new data"
        )


def shareable_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without compiled SQL, to be stored beside published data.

    Compiled SQL holds what macros rendered from secrets (the pseudonymisation key's pads, see
    docs/privacy.md), so it never leaves the build folder. dbt's state comparison reads the raw code and
    checksums, which stay.
    """
    secret_keys = {"compiled_code", "compiled_sql"}
    shareable = dict(manifest)
    for section in ("nodes", "unit_tests", "disabled"):
        entries = manifest.get(section) or {}
        shareable[section] = {unique_id: _without(entry, secret_keys) for unique_id, entry in entries.items()}
    return shareable


def _without(entry: Any, keys: set[str]) -> Any:
    """A node (or a list of disabled nodes) without the given keys."""
    if isinstance(entry, list):
        return [_without(item, keys) for item in entry]
    if isinstance(entry, dict):
        return {key: value for key, value in entry.items() if key not in keys}
    return entry
