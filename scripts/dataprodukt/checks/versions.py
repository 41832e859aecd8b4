"""A published version's data never changes without a new version: every change to its code, or to code upstream
of it, is classified against the code kept at its publication (publish/changes.py). A change that may alter the
data is a violation naming the change and the command that makes the next version; one that cannot (formatting,
comments, renames, descriptions) is a note.

The code kept at the publication is the stored manifest (``<storage root>/<product>/publisering/manifest.json``),
or ``--state DIR`` (a folder with a publication's manifest.json, e.g. a scheduled run's artifact, in CI). The
normal forms compare only within one SQL dialect: a publication made on another engine than the one this check
compiled for is compared with dbt's state comparison instead (``state:modified+``), which flags every edit.
"""

from __future__ import annotations

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.publish.basis import Basis, read_basis, read_state, state_modified
from dataprodukt.publish.changes import DATA_MAY_CHANGE, NO_DATA_CHANGE, classify
from dataprodukt.publish.fingerprints import node_codes
from dataprodukt.rules.identity import Dataset, published_datasets
from dataprodukt.rules.normalised_sql import dialect_of

NAME = "versions"


def run(context: CheckContext) -> list[Violation]:
    datasets = [dataset for dataset in published_datasets(context.manifest) if dataset.is_stable]
    bases: list[Basis] = []
    if context.state is not None:
        bases.append(read_state(context.state))
    else:
        for product in sorted({dataset.product for dataset in datasets}):
            basis = read_basis(context.publications, product)
            if basis is None:
                context.notes.append(
                    f"versions: nothing published for {product} in {context.publications.uri('')}: "
                    "no code to compare with"
                )
            else:
                bases.append(basis)
    violations: list[Violation] = []
    for basis in bases:
        violations.extend(_against(context, basis, datasets))
    return violations


def _against(context: CheckContext, basis: Basis, datasets: list[Dataset]) -> list[Violation]:
    by_id = {dataset.unique_id: dataset for dataset in datasets if dataset.unique_id in basis.published}
    dialect = dialect_of(context.manifest)
    if not basis.comparable:
        context.notes.append(
            f"versions: {basis.source} keeps no normal form of the code (stored before they were kept): compared "
            "with dbt's state comparison, which flags any edit"
        )
        return _state_modified(context, basis, by_id)
    if basis.dialect != dialect:
        context.notes.append(
            f"versions: {basis.source} was published from {basis.dialect}, this check compiled for {dialect}: "
            f"compared with dbt's state comparison, which flags any edit (compile for the same engine to compare "
            "syntax trees, e.g. --target bigquery_emulator)"
        )
        return _state_modified(context, basis, by_id)
    published = {uid: (dataset.stem, str(dataset.node.get("original_file_path"))) for uid, dataset in by_id.items()}
    violations = []
    for decision in classify(published, basis.codes, node_codes(context.manifest, basis.codes), dialect):
        dataset = by_id[decision.unique_id]
        if decision.verdict == NO_DATA_CHANGE:
            context.notes.append(f"versions: {decision.note()}")
        if decision.verdict != DATA_MAY_CHANGE:
            continue
        newest = max(dataset.latest_version or 0, dataset.version or 0) + 1
        violations.append(
            Violation(
                dataset.model,
                _path(dataset),
                None,
                f"{dataset.stem} (v{dataset.version})",
                f"is published and its {DATA_MAY_CHANGE}: {decision.said(True)}; add version {newest} to change it: "
                f"undo the change, or `dataprodukt version {dataset.model}` moves it to v{newest} and puts "
                f"v{dataset.version} back as published",
                NAME,
            )
        )
    return violations


def _path(dataset: Dataset) -> str:
    """The file that defines the version (where CI annotates the violation)."""
    return str(dataset.node["original_file_path"])


def _state_modified(context: CheckContext, basis: Basis, datasets: dict[str, Dataset]) -> list[Violation]:
    """dbt's ``state:modified+`` against the stored manifest (another engine's, or one without normal forms)."""
    modified = state_modified(context.project, basis)
    return [
        Violation(
            dataset.model,
            _path(dataset),
            None,
            f"{dataset.stem} (v{dataset.version})",
            f"is published and it (or code upstream of it) changed since (dbt state:modified+ against {basis.source}): "
            f"add version {max(dataset.latest_version or 0, dataset.version or 0) + 1} to change it, keep "
            f"v{dataset.version} as it was",
            NAME,
        )
        for uid, dataset in sorted(datasets.items())
        if uid in modified
    ]
