"""The files of a new version, written as a dbt user writes them (docs/versions.md, "Add a version"):

- ``models/<state>/<model>_v<N+1>.sql``: a copy of the file that defines v<N> (dbt's default file name for a
  version, so no ``defined_in``: each version keeps a file of its own, and changing v<N+1> never touches v<N>);
- in the model's YAML, ``- v: <N+1>`` after the last entry under ``versions:`` (v<N>'s entry copied, without its
  own ``version_description``), and ``latest_version: <N+1>`` when it was <N>;
- every published version that reads the model unversioned (``ref('m')``, which now means v<N+1>) is pinned to
  what it was published with, ``ref('m', v=<N>)``, in its SQL and in its unit tests' inputs. Its compiled SQL is
  the same, so its code is unchanged by syntax tree and it stays published.

A published model downstream that gets a new version in the same step is copied before it is pinned, so its new
version reads the new version upstream.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dataprodukt.core.errors import UserError
from dataprodukt.rules.identity import Dataset


@dataclass
class Written:
    """What one new version changed in the project."""

    model: str
    version: int
    sql: Path
    yaml: Path
    pinned: list[Path] = field(default_factory=list)

    def lines(self, root: Path) -> list[str]:
        done = [
            f"{self.model} v{self.version}: {self.sql.relative_to(root)}, `- v: {self.version}` in "
            f"{self.yaml.relative_to(root)}"
        ]
        done += [f"{self.model}: pinned to its earlier version in {path.relative_to(root)}" for path in self.pinned]
        return done


def project_file(root: Path, path: object) -> Path:
    """A node's file (``original_file_path`` or ``patch_path`` as ``project://models/...``) in the project."""
    return root / str(path).split("://", 1)[-1]


def ref_pattern(model: str) -> re.Pattern[str]:
    """``ref('model')`` without a version (either quote, any spacing)."""
    return re.compile(r"ref\(\s*(['\"])" + re.escape(model) + r"\1\s*\)")


def pinned_ref_pattern(model: str, version: int) -> re.Pattern[str]:
    return re.compile(
        r"ref\(\s*(['\"])" + re.escape(model) + r"\1\s*,\s*(?:v|version)\s*=\s*['\"]?" + str(version) + r"['\"]?\s*\)"
    )


def new_sql(root: Path, dataset: Dataset, versioned: dict[str, int]) -> tuple[Path, str]:
    """The new version's file and text: v<N>'s text, reading the new versions made in this step
    (``versioned``: model -> its version before this step) where it read their earlier ones."""
    source = project_file(root, dataset.node["original_file_path"])
    target = source.with_name(f"{dataset.model}_v{int(dataset.version or 0) + 1}{source.suffix}")
    if target.exists():
        raise UserError(
            f"{target.relative_to(root)} exists already: version {int(dataset.version or 0) + 1} of {dataset.model} "
            "is being made; finish it (add it to the YAML) or remove the file"
        )
    text = source.read_text(encoding="utf-8")
    for model, version in versioned.items():
        text = pinned_ref_pattern(model, version).sub(_unpinned(model), text)
    return target, text


def _unpinned(model: str) -> Callable[[re.Match[str]], str]:
    return lambda match: f"ref({match.group(1)}{model}{match.group(1)})"


def add_version_entry(text: str, model: str, version: int, where: str) -> str:
    """The YAML with ``- v: <version + 1>`` after the model's last version entry, and latest_version moved on."""
    lines = text.splitlines(keepends=True)
    start = _model_line(lines, model, where)
    model_indent = _indent(lines[start])
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip() and _indent(lines[i]) <= model_indent),
        len(lines),
    )
    versions = next((i for i in range(start + 1, end) if re.match(r"^\s*versions:\s*(#.*)?$", lines[i])), None)
    if versions is None:
        raise UserError(f"{where}: model {model} has no `versions:` list: a published model is versioned")
    entries = [i for i in range(versions + 1, end) if re.match(r"^\s*- v:", lines[i])]
    entry = next((i for i in entries if re.match(rf"^\s*- v:\s*['\"]?{version}['\"]?\s*(#.*)?$", lines[i])), None)
    if entry is None:
        raise UserError(f"{where}: model {model} has no `- v: {version}` under versions:")
    block = _block(lines, entry, end)
    last = _block(lines, entries[-1], end)
    copied = [lines[entry].replace(f"v: {version}", f"v: {version + 1}", 1)]
    copied += [line for line in lines[entry + 1 : block] if "version_description" not in line]
    copied = _without_empty_keys(copied)
    if copied and not copied[-1].endswith("\n"):
        copied[-1] += "\n"
    insert_at = last
    if insert_at > 0 and not lines[insert_at - 1].endswith("\n"):
        lines[insert_at - 1] += "\n"
    latest = re.compile(rf"^(\s*latest_version:\s*)['\"]?{version}['\"]?(\s*(#.*)?)$")
    for i in range(start, end):
        lines[i] = latest.sub(rf"\g<1>{version + 1}\g<2>", lines[i].rstrip("\n")) + (
            "\n" if lines[i].endswith("\n") else ""
        )
    lines[insert_at:insert_at] = copied
    return "".join(lines)


def pin(text: str, model: str, version: int) -> str:
    """Every unversioned ``ref('model')`` in ``text`` pinned to ``version``."""
    return ref_pattern(model).sub(lambda match: f"ref({match.group(1)}{model}{match.group(1)}, v={version})", text)


def _model_line(lines: list[str], model: str, where: str) -> int:
    pattern = re.compile(rf"^\s*-\s*name:\s*['\"]?{re.escape(model)}['\"]?\s*(#.*)?$")
    for i, line in enumerate(lines):
        if pattern.match(line):
            return i
    raise UserError(f"{where}: no `- name: {model}` found to add a version to")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(lines: list[str], entry: int, end: int) -> int:
    """The line after a list entry's block (its deeper-indented lines)."""
    dash = _indent(lines[entry])
    i = entry + 1
    while i < end and (not lines[i].strip() or _indent(lines[i]) > dash):
        i += 1
    while i > entry + 1 and not lines[i - 1].strip():
        i -= 1
    return i


def _without_empty_keys(block: list[str]) -> list[str]:
    """Drop ``meta:`` / ``config:`` lines left with nothing under them."""
    changed = True
    while changed:
        changed = False
        for i, line in enumerate(block):
            if re.match(r"^\s*(meta|config):\s*$", line):
                following = block[i + 1] if i + 1 < len(block) else ""
                if not following.strip() or _indent(following) <= _indent(line):
                    del block[i]
                    changed = True
                    break
    return block


def write_new_versions(root: Path, supersede: list[Dataset], published: list[Dataset]) -> list[Written]:
    """Write v<N+1> of every version in ``supersede`` (see the module's docstring); ``published`` are the versions
    with a record, whose unversioned refs to those models are pinned."""
    versioned = {dataset.model: int(dataset.version or 0) for dataset in supersede}
    copies = [(dataset, *new_sql(root, dataset, versioned)) for dataset in supersede]
    written = []
    for dataset, target, text in copies:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
        yaml = project_file(root, dataset.node.get("patch_path") or "")
        if not yaml.is_file():
            raise UserError(
                f"model {dataset.model} has no YAML file (patch_path) to add version {versioned[dataset.model] + 1} to"
            )
        where = str(yaml.relative_to(root))
        yaml.write_text(
            add_version_entry(yaml.read_text(encoding="utf-8"), dataset.model, versioned[dataset.model], where),
            encoding="utf-8",
        )
        written.append(Written(dataset.model, versioned[dataset.model] + 1, target, yaml))
    by_model = {item.model: item for item in written}
    for dataset in published:
        files = [project_file(root, dataset.node["original_file_path"])]
        if dataset.node.get("patch_path"):
            files.append(project_file(root, dataset.node["patch_path"]))
        for path in files:
            before = path.read_text(encoding="utf-8")
            after = before
            for model, version in versioned.items():
                if model == dataset.model:
                    continue
                if path.suffix == ".sql":
                    after = pin(after, model, version)
                else:  # a unit test's input names the ref exactly as the model does
                    after = "".join(
                        pin(line, model, version) if "input:" in line else line
                        for line in after.splitlines(keepends=True)
                    )
            if after != before:
                path.write_text(after, encoding="utf-8")
                for model in versioned:
                    if model in by_model and ref_pattern(model).search(before) and path not in by_model[model].pinned:
                        by_model[model].pinned.append(path)
    return written
