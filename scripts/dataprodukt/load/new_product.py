"""A new data product from this template: the tooling copied, the product's own settings written, the example left
out unless asked for.

What is copied as it is: the tooling (``scripts/``, ``pyproject.toml``, the lock file), ``Makefile``, CI, lint and
hook configs, ``macros/``, ``docs/``, ``benchmarks/`` and the tooling's tests. The tooling's tests build the example
to exercise the tooling, so the example's project travels with them as their fixture, in ``tests/example/`` (in the
template the example is the project itself). The product's own project is written from the settings asked for
(short name, team, owner code, title, periods, target): ``dbt_project.yml`` without the example's settings, empty
model folders, no histories, no code lists, and a README, ``datapackage.json``, LICENSE and ``tests/test_product.py``
of its own. With ``--with-example`` the example's models, histories, code lists and tests are the product's start.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dataprodukt.core.errors import UserError
from dataprodukt.load import product_files
from dataprodukt.load.product_files import ProductSettings

SHORT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DATA_SUFFIX = "_data"
MAX_LENGTH = 40
# never copied: local state, caches, the example's fixture (copied on its own), the files written for the product
NOT_COPIED = {
    ".git",
    ".venv",
    "build",
    "target",
    "logs",
    "dbt_packages",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "__pycache__",
    ".user.yml",
    "README.md",
    "LICENSE",
    "datapackage.json",
    "BENCHMARKS.md",
}
# the example's project: its models, histories, code lists and data tests (the fixture of the tooling's tests)
EXAMPLE_PROJECT = ("dbt_project.yml", "profiles", "models", "seeds", "snapshots", "analyses", "tests/dbt")
EXAMPLE_FIXTURE = "tests/example"
# the example's own pytest modules (they check the example's figures): they go where the example goes
EXAMPLE_TESTS = ("tests/test_example.py", "tests/support/expected.py")
# the setting only the example's dbt_project.yml has (load/example_extracts.py)
EXAMPLE_MARKER = "synthetic_extracts"
# one folder per layer and published data state (DESIGN.md): kept, empty, when the example goes
MODEL_FOLDERS = ("staging", "intermediate", "klargjorte_data", "statistikk", "utdata")
TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "-": "_", " ": "_"})


def check_short_name(name: str, statistics: bool = False) -> str:
    """Return ``name`` if it is a valid product short name (SSB naming standard, level 1), else raise."""
    suggestion = re.sub(r"[^a-z0-9_]", "", name.lower().translate(TRANSLITERATION))
    if not statistics and suggestion and not suggestion.endswith(DATA_SUFFIX):
        suggestion += DATA_SUFFIX
    hint = f" (e.g. {suggestion!r})" if suggestion and suggestion != name and SHORT_NAME.match(suggestion) else ""
    if not SHORT_NAME.match(name):
        raise UserError(
            f"short name {name!r}: use lower-case a-z, 0-9 and _ only, starting with a letter; write æ ø å as "
            f"ae oe aa{hint}"
        )
    if len(name) > MAX_LENGTH:
        raise UserError(f"short name {name!r} has {len(name)} characters: keep it to {MAX_LENGTH} or fewer")
    if "__" in name:
        raise UserError(f"short name {name!r}: no double underscore (it separates parts of model names)")
    if statistics and name.endswith(DATA_SUFFIX):
        raise UserError(
            f"short name {name!r} ends in {DATA_SUFFIX}, which marks a data product: drop --statistics, or name the "
            "statistics product without the suffix (e.g. 'kpi')"
        )
    if not statistics and (not name.endswith(DATA_SUFFIX) or name == DATA_SUFFIX.lstrip("_")):
        raise UserError(
            f"short name {name!r}: a data product's short name ends in {DATA_SUFFIX}{hint}; "
            "a statistics product (like 'kpi') takes --statistics"
        )
    return name


@dataclass(frozen=True)
class Template:
    """The project a new product is copied from: its tooling, and where its example's project is."""

    root: Path

    @property
    def example_root(self) -> Path:
        """The example's project: the template itself, or, in a product made from it, its copy in tests/example."""
        for candidate in (self.root, self.root / EXAMPLE_FIXTURE):
            path = candidate / "dbt_project.yml"
            if path.is_file() and EXAMPLE_MARKER in (_yaml(path).get("vars") or {}):
                return candidate
        raise UserError(
            f"{self.root} holds no example project (a dbt_project.yml with the var {EXAMPLE_MARKER}, here or in "
            f"{EXAMPLE_FIXTURE}/): run `dataprodukt new` in the template or in a product made from it"
        )

    @property
    def name(self) -> str:
        return str(_yaml(self.example_root / "dbt_project.yml")["name"])

    @property
    def profile(self) -> str:
        return str(_yaml(self.example_root / "dbt_project.yml").get("profile") or self.name)

    @property
    def product(self) -> str:
        variables = _yaml(self.example_root / "dbt_project.yml").get("vars") or {}
        return str(variables.get("product", self.name))


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def create(template: Template, folder: Path, settings: ProductSettings) -> list[str]:
    """Write the new product into ``folder``; return what was done, one line per step."""
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder} is not empty: choose a new folder for the product (it is created for you)")
    if folder.resolve().is_relative_to(template.root.resolve()):
        raise UserError(f"{folder} is inside the template {template.root}: create the product outside it")
    example = template.example_root
    _copy_tree(template.root, folder, skip={*EXAMPLE_PROJECT, EXAMPLE_FIXTURE, *EXAMPLE_TESTS})
    done = [f"copied the tooling from {template.root} (scripts, macros, docs, CI, hooks, the tooling's tests)"]
    _copy_example(example, folder / EXAMPLE_FIXTURE)
    done.append(f"copied the example's project into {EXAMPLE_FIXTURE}/ (the fixture the tooling's tests build)")
    if settings.with_example:
        _copy_example(example, folder)
        for name in EXAMPLE_TESTS:
            if (template.root / name).is_file():
                shutil.copy2(template.root / name, folder / name)
        done.append("kept the example's models, histories, code lists and tests as the product's start")
    else:
        _empty_project(example, folder)
        done.append(f"made empty model folders models/{{{','.join(MODEL_FOLDERS)}}}/, snapshots/ and seeds/")
    product_files.write_dbt_project(example, template, folder, settings)
    product_files.write_profiles(template, folder, settings)
    done.append(
        f"wrote dbt_project.yml and profiles/profiles.yml for {settings.name!r} (team {settings.team}, owner "
        f"{settings.owner_code}, periods {settings.period_from}..{settings.period_to}, target {settings.target})"
    )
    product_files.write_product_files(folder, settings)
    done.append("wrote README.md, datapackage.json, LICENSE and tests/test_product.py")
    return done


def _ignore(source: Path, skip: set[str]) -> object:
    patterns = shutil.ignore_patterns("*.pyc", "*.egg-info", "*.duckdb", "*.duckdb.wal", "__pycache__")

    def ignore(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(source)
        at_root = relative == Path(".")
        skipped = {name for name in names if (relative / name).as_posix() in skip}
        return set(patterns(folder, names)) | skipped | {name for name in names if at_root and name in NOT_COPIED}

    return ignore


def _copy_tree(source: Path, destination: Path, skip: set[str]) -> None:
    shutil.copytree(source, destination, ignore=_ignore(source, skip), symlinks=True, dirs_exist_ok=True)  # type: ignore[arg-type]


def _copy_example(example: Path, destination: Path) -> None:
    """The example's project (not its tooling) into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_PROJECT:
        source = example / name
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
            )
        elif source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def _empty_project(example: Path, folder: Path) -> None:
    """A product's project with nothing of the example: one empty folder per layer and data state, no histories, no
    code lists, the generic data tests, and the doc blocks of what every product has (history columns, national
    identifiers)."""
    models = folder / "models"
    for layer in MODEL_FOLDERS:
        (models / layer).mkdir(parents=True, exist_ok=True)
        (models / layer / ".gitkeep").touch()
    for name in ("snapshots", "seeds"):
        (folder / name).mkdir(exist_ok=True)
        (folder / name / ".gitkeep").touch()
    generic = example / "tests" / "dbt" / "generic"
    if generic.is_dir():
        shutil.copytree(generic, folder / "tests" / "dbt" / "generic", dirs_exist_ok=True)
    docs = product_files.tooling_doc_blocks(example)
    if docs:
        (models / "_column_docs.md").write_text(docs, encoding="utf-8")
    for name in (".sqlfluff",):
        if (example / "models" / name).is_file():
            shutil.copy2(example / "models" / name, models / name)
