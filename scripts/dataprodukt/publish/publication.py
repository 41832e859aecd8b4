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

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from dataprodukt.core.dbt_session import DbtSession, read_artifact
from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.core.storage import Storage, storage_for
from dataprodukt.core.warehouse import Warehouse, connected
from dataprodukt.publish import files as export
from dataprodukt.publish.register import (
    DEFAULT_SCHEMA,
    Record,
    Register,
    code_fingerprint,
    git_commit,
    manifest_path,
    now,
    record_path,
    sql_fingerprint,
)
from dataprodukt.rules.identity import Dataset, published_datasets
from dataprodukt.rules.naming import warehouse_identifier


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


def publication_schema(project: Project) -> str:
    return str(project.dbt_project.get("vars", {}).get("publication_schema") or DEFAULT_SCHEMA)


def publish(project: Project, session: DbtSession | None = None) -> Outcome:
    """The main job's publish step (after ``dbt build``): see the module's docstring."""
    manifest = read_artifact(project.target_dir / "manifest.json", "dbt build")
    datasets = [dataset for dataset in published_datasets(manifest) if dataset.version is not None]
    storage = storage_for(project)
    outcome = Outcome()
    with connected(project) as warehouse:
        register = Register(warehouse, publication_schema(project))
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
        commit = git_commit(project.root)
        for dataset in datasets:
            schema, name = dataset.relation[1:]
            record = records.get((schema, name))
            if record is not None:
                _say(f"{record.dataset} is published ({record.published_at}): left as it is")
                outcome.unchanged.append(record.dataset)
                _report_drift(warehouse, dataset, record, outcome)
                continue
            content = export.read_relation(warehouse, schema, name)
            if not dataset.is_stable:
                export.write_latest(storage, dataset.storage_path, content, dataset.partition_by)
                _say(f"{dataset.stem} (v0, unstable): {content.row_count} rows -> {storage.uri(dataset.storage_path)}")
                outcome.unstable.append(dataset.stem)
                continue
            export.write_versioned(storage, dataset.storage_path, content, dataset.partition_by)
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
                published_at=now(),
            )
            storage.write_new(
                record_path(dataset.product, dataset.storage_folder, dataset.stem), record.to_json().encode("utf-8")
            )
            register.add(record)
            records[(schema, name)] = record
            _say(f"published {dataset.stem}: {content.row_count} rows -> {storage.uri(dataset.storage_path)}")
            outcome.published.append(dataset.stem)
        _move_latest(warehouse, storage, datasets, records, outcome)
    if outcome.published:
        import json

        for product in sorted({dataset.product for dataset in datasets}):
            storage.replace(manifest_path(product), json.dumps(shareable_manifest(manifest)).encode("utf-8"))
            _say(f"manifest of this publication (the state CI compares with): {storage.uri(manifest_path(product))}")
    for note in outcome.notes:
        _say(f"note: {note}")
    return outcome


def _report_drift(warehouse: Warehouse, dataset: Dataset, record: Record, outcome: Outcome) -> None:
    """Run the published model's SQL on today's data: if the result differs, say so (never republish)."""
    sql = str(dataset.node.get("compiled_code") or "").strip().rstrip(";")
    if not sql:
        return
    current = export.read_query(warehouse, f"select * from ({sql}) as current_data")
    if current.checksum != record.content_checksum:
        newest = max(dataset.latest_version or 0, dataset.version or 0)
        outcome.notes.append(
            f"upstream data changed since {record.dataset} was published ({record.row_count} rows then, "
            f"{current.row_count} now): it stays as published; add version {newest + 1} to publish the new data"
        )


def _latest_target(versions: list[Dataset], records: dict[tuple[str, str], Record]) -> Dataset | None:
    """The newest published stable version up to dbt's latest_version (a higher version is a prerelease until
    latest_version reaches it); v0 only while no stable version is published."""
    stable = [
        dataset
        for dataset in versions
        if dataset.is_stable
        and dataset.relation[1:] in records
        and (dataset.latest_version is None or (dataset.version or 0) <= dataset.latest_version)
    ]
    if stable:
        return max(stable, key=lambda dataset: dataset.version or 0)
    unstable = [dataset for dataset in versions if not dataset.is_stable]
    return unstable[0] if unstable else None


def _move_latest(
    warehouse: Warehouse,
    storage: Storage,
    datasets: list[Dataset],
    records: dict[tuple[str, str], Record],
    outcome: Outcome,
) -> None:
    families: dict[tuple[str, str], list[Dataset]] = defaultdict(list)
    for dataset in datasets:
        families[(dataset.relation[1], dataset.latest_stem)].append(dataset)
    for (schema, latest_stem), versions in sorted(families.items()):
        target = _latest_target(versions, records)
        if target is None:
            continue
        view = warehouse_identifier(latest_stem)
        if _point_view(warehouse, schema, view, target.relation[2]):
            _say(f"latest {schema}.{view} -> {target.relation[2]}")
        if _copy_latest(storage, target):
            _say(f"latest {storage.uri(target.latest_storage_path)} = {target.stem}")
        outcome.latest.append(f"{latest_stem} -> {target.stem}")


def _view_definition(warehouse: Warehouse, schema: str, view: str) -> str | None:
    if warehouse.kind == "duckdb":
        rows = warehouse.query(
            f"select sql from duckdb_views() where schema_name = '{schema}' and view_name = '{view}'"
        )
    elif warehouse.kind == "bigquery":  # each dataset has its own INFORMATION_SCHEMA
        rows = warehouse.query(
            f"select view_definition from {export.quote(warehouse.kind, schema)}.INFORMATION_SCHEMA.VIEWS "
            f"where table_name = {warehouse.text_literal(view)}"
        )
    else:
        rows = warehouse.query(
            "select view_definition from information_schema.views "
            f"where table_schema = '{schema}' and table_name = '{view}'"
        )
    return str(rows[0][0]) if rows else None


def _point_view(warehouse: Warehouse, schema: str, view: str, relation: str) -> bool:
    """Make the latest view select from ``relation``; False when it does already."""
    definition = _view_definition(warehouse, schema, view)
    if definition is not None and relation in definition and f"{relation}_" not in definition:
        return False
    quoted_view = export.quote(warehouse.kind, schema, view)
    select = f"select * from {export.quote(warehouse.kind, schema, relation)}"
    if warehouse.kind == "postgres":  # create or replace fails when the columns differ
        warehouse.execute(f"drop view if exists {quoted_view}")
        warehouse.execute(f"create view {quoted_view} as {select}")
    else:
        warehouse.execute(f"create or replace view {quoted_view} as {select}")
    return True


def _copy_latest(storage: Storage, dataset: Dataset) -> bool:
    """The latest copy in storage: the versioned file's bytes under the unversioned name."""
    source, target = dataset.storage_path, dataset.latest_storage_path
    if not dataset.partition_by:
        return storage.replace(target, storage.read_bytes(source))
    changed = False
    for folder in storage.listdir(source):
        file = PurePosixPath(folder, "data.parquet")
        changed = storage.replace(target / file, storage.read_bytes(source / file)) or changed
    return changed


def step(project: Project, session: DbtSession) -> Any:
    """The pipeline step: ``("publish", publish.step)`` after ``dbt docs generate``."""
    return publish(project, session)


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
