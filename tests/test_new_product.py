"""`dataprodukt new`: short names are validated, and a new product is created that runs on its own.

The full `make test` of a new product runs its whole suite again (several minutes), so these tests run a reduced
check in the new folder instead: the README's `make run` (the main job, with the example kept), `make check`, and a
short pytest selection (the product's name test and the secrets-scan table). Without the example there is nothing
to load, so the product's own smoke tests (`tests/test_product.py`: names, conventions, `dbt build`) stand in.
`.venv` in the new folder links to the running virtualenv; `make -o .venv/.installed` keeps make from reinstalling
into it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataprodukt.core.errors import UserError
from dataprodukt.load.new_product import Template, check_short_name, is_example_test
from tests.conftest import REPO, clean_env, run_cli

VALID = [("ameld_data", False), ("nudb_data", False), ("sykefravaer2_data", False), ("kpi", True), ("ledstill", True)]
INVALID = [
    ("Ameld_data", False, "lower-case a-z, 0-9 and _ only"),
    ("sykefravær_data", False, "'sykefravaer_data'"),
    ("ameld-data", False, "'ameld_data'"),
    ("2024_data", False, "starting with a letter"),
    ("ameld", False, "ends in _data (e.g. 'ameld_data')"),
    ("_data", False, "starting with a letter"),
    ("data", False, "ends in _data"),
    ("ameld__data", False, "no double underscore"),
    ("kpi_data", True, "drop --statistics"),
    ("a" * 41 + "_data", False, "keep it to 40"),
]


@pytest.mark.parametrize(("name", "statistics"), VALID)
def test_a_valid_short_name_passes(name: str, statistics: bool) -> None:
    assert check_short_name(name, statistics) == name


@pytest.mark.parametrize(("name", "statistics", "message"), INVALID)
def test_an_invalid_short_name_is_refused(name: str, statistics: bool, message: str) -> None:
    with pytest.raises(UserError, match=r"short name") as error:
        check_short_name(name, statistics)
    assert message in str(error.value)


def test_the_example_is_recognised_by_its_names() -> None:
    template = Template(REPO)
    assert (template.name, template.profile, template.product) == ("sykefravaer", "sykefravaer", "sykefravaer")
    names = template.example_names()
    assert {"sykefravaersprosent", "stg_aareg__arbeidsforhold", "hist_aareg__arbeidsforhold"} <= names
    assert is_example_test("def test_x(example_duckdb): ...", set())
    assert is_example_test("select * from statistikk.sykefravaersprosent_v1", {"sykefravaer"})
    assert not is_example_test("from dataprodukt.hooks.secrets_scan import scan_text", {"sykefravaer", *names})


def _make(folder: Path, target: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["make", "-o", ".venv/.installed", target],
        cwd=folder,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"make {target}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result


def _pytest(folder: Path, *selection: str) -> None:
    result = subprocess.run(
        [str(folder / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection],
        cwd=folder,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout


def _new(tmp_path: Path, *args: str) -> Path:
    folder = tmp_path / "product"
    result = run_cli(REPO, "new", *args[:1], str(folder), *args[1:])
    assert f"created {folder}" in result.stdout
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return folder


def _identity(folder: Path) -> tuple[object, ...]:
    project = yaml.safe_load((folder / "dbt_project.yml").read_text(encoding="utf-8"))
    profiles = yaml.safe_load((folder / "profiles" / "profiles.yml").read_text(encoding="utf-8"))
    return project["name"], project["profile"], project["vars"]["product"], sorted(profiles)


@pytest.mark.slow
def test_a_new_product_with_the_example_runs(tmp_path: Path) -> None:
    folder = _new(tmp_path, "arbeidsmarked_data", "--owner", "Team Arbeidsmarked")

    assert _identity(folder) == (
        "arbeidsmarked_data",
        "arbeidsmarked_data",
        "arbeidsmarked_data",
        ["arbeidsmarked_data"],
    )
    profiles = (folder / "profiles" / "profiles.yml").read_text(encoding="utf-8")
    assert "build/arbeidsmarked_data.duckdb" in profiles and "'BQ_DATASET', 'arbeidsmarked_data'" in profiles
    for name in (".sqlfluff", ".pre-commit-config.yaml", "pyproject.toml", "requirements.lock", "scripts/dataprodukt"):
        assert (folder / name).exists(), name
    for name in ("Makefile", ".ci/run", ".github/workflows/ci.yml"):
        assert (folder / name).exists() == (REPO / name).exists(), name
    for name in ("build", "target", ".git", "logs"):
        assert not (folder / name).exists(), name
    assert (folder / "models" / "statistikk" / "sykefravaersprosent_v1.sql").is_file()
    assert "# arbeidsmarked_data" in (folder / "README.md").read_text(encoding="utf-8")
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["name"] == "arbeidsmarked-data" and package["resources"] == []
    assert "Team Arbeidsmarked" in (folder / "LICENSE").read_text(encoding="utf-8")
    kept = {path.name for path in (folder / "tests").glob("*.py")}
    assert "test_product.py" in kept and "test_secrets_scan.py" in kept
    assert not kept & {"test_example.py", "test_bad_input.py"}  # example product tests stay with the template

    if not (folder / "Makefile").exists():
        pytest.skip("the template has no Makefile yet: the README commands can't run")
    _make(folder, "run")
    assert (folder / "build" / "arbeidsmarked_data.duckdb").is_file()
    assert "all " in _make(folder, "check").stdout
    _pytest(folder, "tests/test_product.py::test_the_names_agree", "tests/test_secrets_scan.py")


@pytest.mark.slow
def test_a_new_statistics_product_without_the_example_builds(tmp_path: Path) -> None:
    folder = _new(tmp_path, "kpi", "--statistics", "--no-example")

    assert _identity(folder) == ("kpi", "kpi", "kpi", ["kpi"])
    assert not list((folder / "models").rglob("*.sql")) and not list((folder / "snapshots").rglob("*.yml"))
    for layer in ("staging", "intermediate", "klargjorte_data", "statistikk", "utdata"):
        assert (folder / "models" / layer / ".gitkeep").is_file(), layer
    assert (folder / "macros").is_dir() and list((folder / "seeds").glob("*.csv"))
    assert "It starts empty" in (folder / "README.md").read_text(encoding="utf-8")
    if shutil.which("make") and (folder / "Makefile").exists():
        _make(folder, "check")
    # names agree, conventions hold, `dbt build` of the code lists and macros passes
    _pytest(folder, "tests/test_product.py")


def test_a_product_is_not_created_over_existing_files(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run_cli(REPO, "new", "ameld_data", str(tmp_path / "taken"), check=False)
    assert result.returncode == 2
    assert "is not empty: choose a new folder" in result.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_an_invalid_name_creates_nothing(tmp_path: Path) -> None:
    result = run_cli(REPO, "new", "Sykefravær", str(tmp_path / "ny"), check=False)
    assert result.returncode == 2
    assert "error: short name 'Sykefravær'" in result.stderr and "'sykefravaer_data'" in result.stderr
    assert not (tmp_path / "ny").exists()
