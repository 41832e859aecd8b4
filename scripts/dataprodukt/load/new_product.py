"""A new data product from this template: copy, rename, and keep or drop the example.

The template's files are copied as they are (tooling, CI, lint and hook configs, macros, code lists), then the
product's identity is written where it lives: the dbt project and profile name, the ``product`` var, the DuckDB
file and BigQuery dataset, a README, datapackage.json and LICENSE. Without the example, the model folders stay
(empty, one per layer and data state) and the example's histories, data tests and pytest modules go.

The template's pytest modules are of two kinds. *Tooling tests* exercise the ``dataprodukt`` package, configs and
hooks on whatever project they run in; they are copied. *Example product tests* are about the example itself:
a module that uses the ``example_duckdb``/``example_postgres`` fixtures or names the example (its product, or,
when the example is dropped, its models and histories) is one, and is not copied. The new product gets its own
smoke tests instead (``tests/test_product.py``: names agree, conventions hold, the project builds).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import yaml

from dataprodukt.core.errors import UserError

SHORT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DATA_SUFFIX = "_data"
MAX_LENGTH = 40
# never copied: local state, caches, and the files written for the new product
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
}
# one folder per layer and published data state (DESIGN.md): kept, empty, when the example goes
MODEL_FOLDERS = ("staging", "intermediate", "klargjorte_data", "statistikk", "utdata")
EXAMPLE_FIXTURES = ("example_duckdb", "example_postgres")
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
    """The project a new product is copied from, and its example's identity."""

    root: Path

    @property
    def dbt_project(self) -> dict[str, object]:
        data = yaml.safe_load((self.root / "dbt_project.yml").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}

    @property
    def name(self) -> str:
        return str(self.dbt_project["name"])

    @property
    def profile(self) -> str:
        return str(self.dbt_project.get("profile") or self.name)

    @property
    def product(self) -> str:
        variables = self.dbt_project.get("vars")
        return str(variables.get("product", self.name)) if isinstance(variables, dict) else self.name

    def example_names(self) -> set[str]:
        """Names only the example uses: its models (unversioned) and histories."""
        names = {re.sub(r"_v\d+$", "", path.stem) for path in (self.root / "models").rglob("*.sql")}
        for path in (self.root / "snapshots").rglob("*"):
            if path.suffix in {".yml", ".yaml", ".sql"}:
                names.update(re.findall(r"\b(hist_[a-z0-9_]+)", path.read_text(encoding="utf-8")))
        return names


def is_example_test(text: str, markers: set[str]) -> bool:
    return any(marker in text for marker in (*EXAMPLE_FIXTURES, *markers))


def create(template: Template, name: str, folder: Path, keep_example: bool = True, owner: str = "") -> list[str]:
    """Write the new product into ``folder``; return what was done, one line per step."""
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder} is not empty: choose a new folder for the product (it is created for you)")
    if folder.resolve().is_relative_to(template.root.resolve()):
        raise UserError(f"{folder} is inside the template {template.root}: create the product outside it")
    done = [f"copied the template {template.root}"]
    _copy_tree(template.root, folder)
    _rename(template, name, folder)
    done.append(f"named the dbt project, profile and product var {name!r} (DuckDB file build/{name}.duckdb)")
    markers = {template.product} if keep_example else {template.product, *template.example_names()}
    dropped = _drop_example_tests(folder, markers)
    done.append(f"dropped {len(dropped)} example test module(s): {', '.join(dropped) or '-'}")
    if not keep_example:
        _drop_example_models(folder)
        done.append(f"dropped the example's models and histories; kept models/{{{','.join(MODEL_FOLDERS)}}}/")
    _write_product_files(name, folder, keep_example, owner or f"The owners of {name}")
    done.append("wrote README.md, datapackage.json, LICENSE and tests/test_product.py")
    return done


def _copy_tree(source: Path, destination: Path) -> None:
    ignore = shutil.ignore_patterns("*.pyc", "*.egg-info", "*.duckdb", "*.duckdb.wal")

    def skip(folder: str, names: list[str]) -> set[str]:
        at_root = Path(folder) == source
        return set(ignore(folder, names)) | {
            name for name in names if name == "__pycache__" or (at_root and name in NOT_COPIED)
        }

    shutil.copytree(source, destination, ignore=skip, symlinks=True, dirs_exist_ok=True)


def _replace(path: Path, replacements: list[tuple[str, str]]) -> None:
    text = path.read_text(encoding="utf-8")
    for pattern, replacement in replacements:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


def _rename(template: Template, name: str, folder: Path) -> None:
    old_name, old_profile, old_product = (
        re.escape(text) for text in (template.name, template.profile, template.product)
    )
    _replace(
        folder / "dbt_project.yml",
        [
            (r"\A(#[^\n]*\n)+", f"# The {name} data product, created from the dataprodukt template.\n"),
            (r"^name: .*$", f"name: {name}"),
            (r"^profile: .*$", f"profile: {name}"),
            (rf"^(\s+product: )[\"']?{old_product}[\"']?\s*$", rf"\g<1>{name}"),
            (rf"^(\s+){old_name}:\s*$", rf"\g<1>{name}:"),
        ],
    )
    _replace(
        folder / "profiles" / "profiles.yml",
        [
            (rf"^{old_profile}:\s*$", f"{name}:"),
            (rf"build/{old_profile}\.duckdb", f"build/{name}.duckdb"),
            (rf"(env_var\('BQ_DATASET', ')({old_product}|{old_name})'", rf"\g<1>{name}'"),
        ],
    )
    for path in [folder / "Makefile", *folder.glob(".ci/*"), *folder.glob(".github/workflows/*.yml")]:
        if path.is_file():
            _replace(path, [(rf"build/{old_name}\.duckdb", f"build/{name}.duckdb")])
    written = yaml.safe_load((folder / "dbt_project.yml").read_text(encoding="utf-8"))
    identity = (written.get("name"), written.get("profile"), (written.get("vars") or {}).get("product"))
    if identity != (name, name, name):
        raise UserError(
            f"{folder / 'dbt_project.yml'}: name, profile and vars.product came out as {identity}, not {name!r}: "
            "set them by hand (the template's dbt_project.yml has an unexpected layout)"
        )


def _drop_example_tests(folder: Path, markers: set[str]) -> list[str]:
    dropped = []
    tests = folder / "tests"
    for path in sorted(tests.glob("*.py")):
        if path.name in {"conftest.py", "__init__.py"}:
            continue
        if is_example_test(path.read_text(encoding="utf-8"), markers):
            path.unlink()
            dropped.append(path.name)
    return dropped


def _drop_example_models(folder: Path) -> None:
    models = folder / "models"
    for path in sorted(models.rglob("*"), reverse=True):
        keep = path.name == ".sqlfluff" or path.name.startswith("_column_docs")
        if path.is_file() and not keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for layer in MODEL_FOLDERS:
        (models / layer).mkdir(parents=True, exist_ok=True)
        (models / layer / ".gitkeep").touch()
    for name in ("snapshots", "analyses"):
        if (folder / name).is_dir():
            shutil.rmtree(folder / name)
    (folder / "snapshots").mkdir()
    (folder / "snapshots" / ".gitkeep").touch()
    dbt_tests = folder / "tests" / "dbt"
    if dbt_tests.is_dir():
        for path in dbt_tests.iterdir():
            if path.name != "generic":  # generic tests are tooling; singular tests name the example's models
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def _template_text(name: str) -> str:
    return resources.files("dataprodukt").joinpath("data", name).read_text(encoding="utf-8")


def _write_product_files(name: str, folder: Path, keep_example: bool, owner: str) -> None:
    kind = "statistics product" if not name.endswith(DATA_SUFFIX) else "data product"
    example = (
        "It starts with the template's example models (sick-leave statistics) as a pattern to edit or remove."
        if keep_example
        else "It starts empty: one folder per layer and data state under models/, the macros and the code lists."
    )
    readme = _template_text("new_product_readme.md").format(name=name, kind=kind, example=example)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    package = {
        "profile": "data-package",
        "name": name.replace("_", "-"),
        "title": name,
        "description": f"The {kind} {name}. Describe what it holds, for whom, and how often it is updated.",
        "version": "0.1.0",
        "created": date.today().isoformat(),
        "contributors": [{"title": owner, "role": "author"}],
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "title": "Creative Commons Attribution 4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
            }
        ],
        "resources": [],
    }
    (folder / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", "utf-8")
    licence = _template_text("new_product_license.txt").format(year=date.today().year, owner=owner)
    (folder / "LICENSE").write_text(licence, encoding="utf-8")
    (folder / "tests" / "test_product.py").write_text(_template_text("new_product_tests.py.txt"), encoding="utf-8")
