"""The manifest kept beside a publication: what later changes are classified against.

``<storage root>/<product>/publisering/manifest.json`` is dbt's manifest of the last publication without compiled
SQL (compiled SQL names the warehouse's relations and whatever a macro rendered from the environment), plus, for
each model, seed and snapshot, its code in normal form (``normalised_code``, key material masked), and at the top
the published versions (``dataprodukt_publications``). dbt's state comparison (``--state``) reads it as any
manifest; the classification (publish/changes.py) reads the normal forms. A manifest with compiled SQL (a build's
target/manifest.json, e.g. an artifact of a scheduled run) serves as well: the normal forms are then made from it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.core.storage import Storage
from dataprodukt.publish.fingerprints import STORED_KEY, NodeCode, has_compiled_code, node_codes
from dataprodukt.publish.register import manifest_path
from dataprodukt.rules.identity import is_published
from dataprodukt.rules.normalised_sql import dialect_of

PUBLICATIONS_KEY = "dataprodukt_publications"
SECRET_KEYS = frozenset({"compiled_code", "compiled_sql"})


@dataclass(frozen=True)
class Basis:
    """The code of a publication: where it was read, its dialect, each node's code, the published versions."""

    source: str
    dialect: str | None
    codes: dict[str, NodeCode]
    published: dict[str, tuple[str, str]]  # unique_id -> (dataset, file)
    manifest: dict[str, Any]
    # False for a manifest without compiled SQL or normal forms (one stored before they were kept): only dbt's
    # state comparison can say what changed since
    comparable: bool = True


def publication_manifest(
    manifest: dict[str, Any], codes: dict[str, NodeCode], published: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """The manifest to keep beside a publication (see the module's docstring)."""
    stored = shareable_manifest(manifest)
    for unique_id, node in stored.get("nodes", {}).items():
        if unique_id in codes and isinstance(node, dict):
            node[STORED_KEY] = codes[unique_id].to_json()
    stored[PUBLICATIONS_KEY] = {
        unique_id: {"dataset": dataset, "file": file} for unique_id, (dataset, file) in sorted(published.items())
    }
    return stored


def shareable_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without compiled SQL: dbt's state comparison reads the raw code and checksums, which stay;
    compiled SQL (the warehouse's relation names, whatever a macro rendered from the environment) is not needed
    there, so it stays in the build folder. (The pseudonymisation key is never in it: the queries read it from the
    key table, docs/privacy.md.)"""
    shareable = dict(manifest)
    for section in ("nodes", "unit_tests", "disabled"):
        entries = manifest.get(section) or {}
        shareable[section] = {unique_id: _without(entry, SECRET_KEYS) for unique_id, entry in entries.items()}
    return shareable


def _without(entry: Any, keys: frozenset[str]) -> Any:
    if isinstance(entry, list):
        return [_without(item, keys) for item in entry]
    if isinstance(entry, dict):
        return {key: value for key, value in entry.items() if key not in keys}
    return entry


def basis_from_manifest(manifest: dict[str, Any], source: str) -> Basis:
    """The basis a stored (or a build's) manifest gives; its published versions, when it does not list them, are
    every stable version it has in a data-state folder."""
    listed = manifest.get(PUBLICATIONS_KEY)
    if isinstance(listed, dict):
        published = {uid: (str(entry.get("dataset", "")), str(entry.get("file", ""))) for uid, entry in listed.items()}
    else:
        project = str(manifest.get("metadata", {}).get("project_name", ""))
        published = {
            uid: (str((node.get("config", {}).get("meta") or {}).get("dataset_stem") or node.get("name")), "")
            for uid, node in manifest.get("nodes", {}).items()
            if is_published(node, project) and int(node.get("version") or 0) >= 1
        }
    comparable = has_compiled_code(manifest)
    codes = node_codes(manifest) if comparable else {}
    return Basis(source, dialect_of(manifest), codes, published, manifest, comparable)


def state_modified(project: Project, basis: Basis) -> set[str]:
    """unique_ids dbt selects with ``state:modified+`` against the basis's manifest (a publication made on another
    engine, or stored before normal forms were kept): every edit counts, as dbt compares the files."""
    from dataprodukt.core.dbt_session import DbtSession

    folder = Path(tempfile.mkdtemp(prefix="publication-state-"))
    try:
        (folder / "manifest.json").write_text(json.dumps(basis.manifest), encoding="utf-8")
        session = DbtSession(project, quiet=True)
        found = session.invoke(
            ["ls", "--resource-type", "model", "--select", "state:modified+", "--state", str(folder)],
            # --no-write-json: `dbt ls` would replace target/manifest.json with one without compiled SQL
            ["--output", "json", "--output-keys", "unique_id", "--no-print", "--no-write-json"],
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {json.loads(line)["unique_id"] for line in found or []}


def read_basis(storage: Storage, product: str) -> Basis | None:
    """The basis kept in storage for a product, or None when nothing is published there."""
    path = manifest_path(product)
    data = storage.read_if_exists(path)
    if data is None:
        return None
    return basis_from_manifest(json.loads(data), storage.uri(path))


def read_bases(storage: Storage, products: set[str]) -> dict[str, Basis]:
    """The basis of each product that has one."""
    found = {product: read_basis(storage, product) for product in sorted(products)}
    return {product: basis for product, basis in found.items() if basis is not None}


def known_codes(bases: dict[str, Basis]) -> dict[str, NodeCode]:
    """Every node's code kept at the publications: a node compiled to the same text reuses its normal form."""
    return {unique_id: code for basis in bases.values() for unique_id, code in basis.codes.items()}


def read_state(folder: Path) -> Basis:
    """The basis in a folder holding a manifest.json (``dataprodukt check --state DIR``)."""
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(
            f"{path} can't be read ({error}): give --state a folder with a publication's manifest"
        ) from error
    return basis_from_manifest(manifest, str(path))
