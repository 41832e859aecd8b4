"""The files a new product gets of its own: dbt_project.yml and profiles.yml made from the example's with the
product's settings (and without the example's own settings), README.md, datapackage.json, LICENSE and its tests.

dbt_project.yml is edited as text, line by line, so every comment that explains a setting stays; the result is read
back and each setting compared with what was asked, so a template laid out differently fails loudly, not silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import TARGETS
from dataprodukt.rules.naming_standard import PeriodError, parse_period, period_order_problems

if TYPE_CHECKING:
    from dataprodukt.load.new_product import Template

# the example's own settings in its dbt_project.yml sit between these two comment lines
EXAMPLE_BLOCK = re.compile(
    r"^ *# --- the example's own settings.*?^ *# --- end of the example's own settings ---\n", re.M | re.S
)
TEAM = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class ProductSettings:
    """What a new product is asked for (or given as flags)."""

    name: str
    team: str
    owner_code: str
    title: str
    period_from: str
    period_to: str
    target: str = "duckdb"
    with_example: bool = False

    def problems(self) -> list[str]:
        found = []
        if not TEAM.match(self.team):
            found.append(
                f"team {self.team!r}: lower-case a-z, 0-9, - and _, starting with a letter (it labels the product's "
                "tables, e.g. team-ameld)"
            )
        if not self.owner_code.strip():
            found.append("owner code: give the owning unit's code (Datadoc owner, e.g. 212)")
        if not self.title.strip():
            found.append("title: give the product's title (the data package's title)")
        try:
            # one period (from = to) is a product of one period, as a scheduled run builds it; its name has it once
            if self.period_from == self.period_to:
                parse_period(self.period_from)
            else:
                found += period_order_problems(self.period_from, self.period_to)
        except PeriodError as error:
            found.append(str(error))
        if self.target not in TARGETS:
            found.append(f"target {self.target!r}: choose one of {', '.join(TARGETS)}")
        return found


def _set(text: str, pattern: str, value: str) -> str:
    """Put ``value`` after the pattern's first group, on the first line matching it (taken as it is)."""
    return re.sub(pattern, lambda match: match.group(1) + value, text, count=1, flags=re.MULTILINE)


def _set_all(text: str, pattern: str, value: str) -> str:
    """As _set, on every line matching the pattern (and any second group kept after ``value``)."""
    return re.sub(pattern, lambda match: match.group(1) + value + (match.group(2) or ""), text, flags=re.MULTILINE)


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_dbt_project(example: Path, template: Template, folder: Path, settings: ProductSettings) -> None:
    """The example's dbt_project.yml with the product's identity and settings; without the example, its own settings
    (the block between the markers) and texts are left out."""
    text = (example / "dbt_project.yml").read_text(encoding="utf-8")
    name = settings.name
    header = f"# The {name} data product, made with `dataprodukt new` from the dataprodukt template.\n"
    text = re.sub(r"\A(#[^\n]*\n)+", lambda _match: header, text)
    text = _set(text, r"^(name: ).*$", name)
    text = _set(text, r"^(profile: ).*$", name)
    text = _set_all(text, rf"^(\s+){re.escape(template.name)}(:)\s*$", name)
    text = _set(text, r"^(\s+product: ).*$", name)
    text = _set(text, r"^(\s+period_from: ).*$", _quoted(settings.period_from))
    text = _set(text, r"^(\s+period_to: ).*$", _quoted(settings.period_to))
    text = _set(text, r"^(\s+owner: ).*$", settings.team)
    text = _set_all(text, r"(\+meta: \{owner: )\"[^\"]*\"()", _quoted(settings.owner_code))
    text = _set(text, r"^(\s+title: ).*$", _quoted(settings.title))
    if not settings.with_example:
        text = EXAMPLE_BLOCK.sub("", text)
        text = _set(text, r"^(\s+description: ).*$", _quoted(f"Dataproduktet {name}: beskriv hva det inneholder."))
        text = _set_all(text, r"^(\s+- \{title: ).*?(, role: \"author\"\})$", _quoted(settings.team))
    path = folder / "dbt_project.yml"
    path.write_text(text, encoding="utf-8")
    _verify(path, settings, template)


def _verify(path: Path, settings: ProductSettings, template: Template) -> None:
    written: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    variables = written.get("vars") or {}
    folders = ((written.get("models") or {}).get(settings.name) or {}).get("statistikk") or {}
    got = {
        "name": written.get("name"),
        "profile": written.get("profile"),
        "product": variables.get("product"),
        "period_from": variables.get("period_from"),
        "period_to": variables.get("period_to"),
        "owner": variables.get("owner"),
        "title": (variables.get("datapackage") or {}).get("title"),
        "owner code": (folders.get("+meta") or {}).get("owner"),
    }
    wanted = {
        "name": settings.name,
        "profile": settings.name,
        "product": settings.name,
        "period_from": settings.period_from,
        "period_to": settings.period_to,
        "owner": settings.team,
        "title": settings.title,
        "owner code": settings.owner_code,
    }
    wrong = [f"{key} came out as {got[key]!r}, not {wanted[key]!r}" for key in wanted if got[key] != wanted[key]]
    if not settings.with_example and "synthetic_extracts" in variables:
        wrong.append("the example's own settings are still there")
    if wrong:
        raise UserError(
            f"{path}: {'; '.join(wrong)}: set them by hand (the template's dbt_project.yml, {template.root}, has an "
            "unexpected layout)"
        )


def write_profiles(template: Template, folder: Path, settings: ProductSettings) -> None:
    """The example's profiles with the product's name, DuckDB file, BigQuery dataset and default target."""
    text = (template.example_root / "profiles" / "profiles.yml").read_text(encoding="utf-8")
    old_profile, old_product = re.escape(template.profile), re.escape(template.product)
    name = settings.name
    text = _set_all(text, rf"^(){old_profile}(:)\s*$", name)
    text = _set_all(text, rf"(build/){old_profile}(\.duckdb)", name)
    # both forms: env_var('BQ_DATASET', 'x') and env_var('BQ_DATASET', '') or 'x' (a set but empty variable)
    text = _set_all(
        text, rf"(env_var\('BQ_DATASET', (?:''\) or )?')(?:{old_product}|{re.escape(template.name)})(')", name
    )
    text = _set_all(text, r"(env_var\('DBT_TARGET', ')[a-z_]+(')", settings.target)
    (folder / "profiles").mkdir(exist_ok=True)
    (folder / "profiles" / "profiles.yml").write_text(text, encoding="utf-8")
    for path in [folder / "Makefile", *folder.glob(".ci/*"), *folder.glob(".github/workflows/*.yml")]:
        if path.is_file():
            path.write_text(
                re.sub(rf"build/{re.escape(template.name)}\.duckdb", f"build/{name}.duckdb", path.read_text("utf-8")),
                encoding="utf-8",
            )


def tooling_doc_blocks(example: Path) -> str:
    """The doc blocks every product uses, from the example's: the history columns (their names as dbt_project.yml
    sets them) and the national identifiers the name map knows (fodselsnummer, organisasjonsnummer)."""
    project = yaml.safe_load((example / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    snapshots = next(iter((project.get("snapshots") or {}).values()), {}) or {}
    wanted = set((snapshots.get("+snapshot_meta_column_names") or {}).values())
    names = yaml.safe_load(resources.files("dataprodukt").joinpath("data/name_map.yml").read_text("utf-8")) or {}
    wanted |= set(names.get("identifiers") or [])
    blocks = []
    for path in sorted((example / "models").rglob("*.md")):
        for block in re.findall(r"({%-?\s*docs\s+(\w+)\s*-?%}.*?{%-?\s*enddocs\s*-?%})", path.read_text("utf-8"), re.S):
            if block[1] in wanted:
                blocks.append(block[0])
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _template_text(name: str) -> str:
    return resources.files("dataprodukt").joinpath("data", name).read_text(encoding="utf-8")


def write_product_files(folder: Path, settings: ProductSettings) -> None:
    name = settings.name
    kind = "data product" if name.endswith("_data") else "statistics product"
    start = (
        "It starts with the template's example (sick-leave statistics from synthetic data) as a pattern to edit."
        if settings.with_example
        else "It starts empty: add its first source with `dataprodukt add-source` (docs/journey.md)."
    )
    readme = _template_text("new_product_readme.md").format(
        name=name, kind=kind, example=start, title=settings.title, team=settings.team, target=settings.target
    )
    (folder / "README.md").write_text(readme, encoding="utf-8")
    package = {
        "profile": "data-package",
        "name": name.replace("_", "-"),
        "title": settings.title,
        "description": f"The {kind} {name}. Describe what it holds, for whom, and how often it is updated.",
        "version": "0.1.0",
        "created": date.today().isoformat(),
        "contributors": [{"title": settings.team, "role": "author"}],
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
    licence = _template_text("new_product_license.txt").format(year=date.today().year, owner=settings.team)
    (folder / "LICENSE").write_text(licence, encoding="utf-8")
    (folder / "tests" / "test_product.py").write_text(_template_text("new_product_tests.py.txt"), encoding="utf-8")
    ignore = folder / ".gitignore"
    extra = "\n# extracts of the product's sources (personal data: never committed; docs/sources.md)\nextracts/\n"
    if ignore.is_file() and "extracts/" not in ignore.read_text(encoding="utf-8"):
        ignore.write_text(ignore.read_text(encoding="utf-8") + extra, encoding="utf-8")
