"""The example's synthetic extracts, made for it and only for it: `dataprodukt run` writes them when the project's
dbt_project.yml sets the example's own var ``synthetic_extracts: true`` (a product with its own sources has none),
and `dataprodukt generate` on demand. The generator replaces only the folders it wrote itself (listed in
``generator.json`` beside them); a folder holding anyone else's extracts is never touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataprodukt.core.context import Progress
from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.load.generator import BatchSummary, batch_dir, generate, list_batches

GENERATOR_SETTINGS = "generator.json"
# the example's own setting in its dbt_project.yml: `dataprodukt run` writes its synthetic extracts
SETTING = "synthetic_extracts"


def wanted(project: Project) -> bool:
    """Whether the project asks the main job for the example's synthetic extracts (the var ``synthetic_extracts``);
    a product with its own sources has no such var."""
    return project.variables.get(SETTING) is True


def _marker(raw_dir: Path) -> dict[str, Any]:
    marker = raw_dir / GENERATOR_SETTINGS
    found = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else {}
    return found if isinstance(found, dict) else {}


def foreign_files(raw_dir: Path) -> list[str]:
    """What is in ``raw_dir`` that the generator did not write (its ``generator.json`` lists its folders; one from
    before it kept the list wrote every batch folder there)."""
    if not raw_dir.is_dir():
        return []
    written = _marker(raw_dir)
    if not written:
        return sorted(path.name for path in raw_dir.iterdir())
    own = set(written.get("folders", [folder.name for folder in list_batches(raw_dir)])) | {GENERATOR_SETTINGS}
    return sorted(path.name for path in raw_dir.iterdir() if path.name not in own)


def write_example(raw_dir: Path, rows: int, batches: int, seed: int = 20240101) -> list[BatchSummary]:
    """The example's extracts into ``raw_dir``, replacing only what the generator wrote there before; refuses a
    folder that holds anyone else's files."""
    import shutil

    foreign = foreign_files(raw_dir)
    if foreign:
        raise UserError(
            f"{raw_dir} holds files the generator did not write ({', '.join(foreign[:5])}): they are never replaced; "
            "give another folder (--out), or move them away first"
        )
    for folder in list_batches(raw_dir):
        shutil.rmtree(folder)
    summaries = generate(raw_dir, rows=rows, batches=batches, seed=seed)
    folders = [batch_dir(raw_dir, summary.batch).name for summary in summaries]
    settings = {"rows": rows, "batches": batches, "seed": seed, "folders": folders}
    (raw_dir / GENERATOR_SETTINGS).write_text(json.dumps(settings) + "\n", encoding="utf-8")
    return summaries


def ensure_raw_data(project: Project, rows: int, batches: int, progress: Progress) -> None:
    """Generate the example's raw extracts unless the same ones are already there; never touch anyone else's."""
    raw_dir = project.raw_dir
    written = _marker(raw_dir)
    existing = list_batches(raw_dir)
    if existing and (written.get("rows"), written.get("batches")) == (rows, batches):
        progress.step(f"raw extracts already in {raw_dir} ({len(existing)} batches, {rows} certificates)")
        return
    foreign = foreign_files(raw_dir)
    if foreign:
        progress.step(
            f"{raw_dir} holds extracts the generator did not write ({', '.join(foreign[:5])}): left as they are, "
            "nothing generated"
        )
        return
    progress.step(f"generating raw extracts: {rows} certificates, {batches} change batches -> {raw_dir}")
    with progress.timer("generate"):
        write_example(raw_dir, rows, batches)
