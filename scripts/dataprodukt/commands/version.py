"""``dataprodukt version MODEL``: make the next version of a published model to change it.

Writes ``<model>_v<N+1>.sql`` (a copy of v<N>), its ``- v: <N+1>`` entry in the YAML and ``latest_version``, and
pins published models that read the model unversioned to v<N> (publish/new_version.py). When v<N>'s file was edited
since it was published, the edit moves to v<N+1> and v<N> is put back as it was at the publication's git commit.
Nothing is built or published: change v<N+1>, then ``dataprodukt run``.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

from dataprodukt import commands


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.context import RunContext
    from dataprodukt.core.errors import UserError
    from dataprodukt.publish.new_version import project_file, write_new_versions
    from dataprodukt.publish.register import stored_records

    project = commands.project(args)
    with RunContext.open(project, quiet=True) as context:
        context.invoke(["parse"])
        versions = sorted(
            (dataset for dataset in context.datasets if dataset.model == args.model and dataset.version is not None),
            key=lambda dataset: dataset.version or 0,
        )
        if not versions:
            names = sorted({dataset.model for dataset in context.datasets if dataset.version is not None})
            raise UserError(
                f"{args.model} is not a published model (a versioned model in a data-state folder): "
                f"choose from {', '.join(names)}"
            )
        records = {record.dataset: record for record in stored_records(context.storage, versions[0].product)}
        published = [dataset for dataset in context.datasets if dataset.stem in records]
        mine = [dataset for dataset in versions if dataset.stem in records]
        if not mine:
            newest = versions[-1]
            print(
                f"{args.model}: no version is published yet: change v{newest.version} "
                f"({newest.node.get('original_file_path')}) freely"
            )
            return 0
        current = mine[-1]
        record = records[current.stem]
        path = project_file(project.root, current.node["original_file_path"])
        edited = path.read_text(encoding="utf-8")
        written = write_new_versions(project.root, [current], published)
        restored = _published_text(project.root, record.git_commit, path)
        for item in written:
            for line in item.lines(project.root):
                print(f"version: {line}")
        if restored is not None and restored != edited:
            path.write_text(restored, encoding="utf-8")
            relative = path.relative_to(project.root)
            print(
                f"version: your edit of {relative} is in v{(current.version or 0) + 1}; v{current.version} is back "
                f"as published (git {record.git_commit})"
            )
        elif restored is None and record.git_commit:
            relative = path.relative_to(project.root)
            commit = record.git_commit.removesuffix("-dirty")
            print(
                f"version: {relative} was published at {record.git_commit}: if you edited it, put it back "
                f"(`git checkout {commit} -- {relative}`)"
            )
        print(f"version: change {written[0].sql.relative_to(project.root)} as you need, then `dataprodukt run`")
    return 0


def _published_text(root: Path, commit: str | None, path: Path) -> str | None:
    """The file as it was at a clean publication commit; None without git, or when the commit had edits."""
    if not commit or commit.endswith("-dirty"):
        return None
    try:
        found = subprocess.run(
            ["git", "show", f"{commit}:./{path.relative_to(root).as_posix()}"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout if found.returncode == 0 else None


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "version",
        help="make the next version of a published model to change it (its files; moves an edit of the published one)",
    )
    commands.add_target(parser)
    parser.add_argument("model", help="the published model (its dbt name)")
    parser.set_defaults(handler=handle)
