"""SQL style: the whole project passes sqlfluff (rules in .sqlfluff), and a badly written model is caught and fixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dataprodukt.commands.lint import DIALECTS
from dataprodukt.core.project import TARGETS
from tests.conftest import REPO, clean_env, run_cli

BAD_MODEL = """\
WITH

fylker AS (

    SELECT * FROM {{ ref('fylker') }}

)

SELECT
    fylkesnummer
    , UPPER(fylkesnavn) navn
FROM fylker
"""


def _with_lint_config(project: Path) -> Path:
    for name in (".sqlfluff", ".sqlfluffignore", "models/staging/.sqlfluff"):
        shutil.copy2(REPO / name, project / name)
    return project


def test_every_target_has_a_dialect() -> None:
    assert set(DIALECTS) == set(TARGETS)


def test_the_project_is_lint_clean() -> None:
    result = run_cli(REPO, "lint", env=clean_env(), check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "All Finished" in result.stdout
    # sqlfluff skips a model dbt can't compile and still exits 0: every model must be linted
    assert "Skipped file" not in result.stdout + result.stderr, result.stdout[-4000:] + result.stderr[-2000:]


def test_a_badly_written_model_is_reported_then_fixed(project_copy: Path) -> None:
    project = _with_lint_config(project_copy)
    model = project / "models" / "intermediate" / "int_fylker_navn.sql"
    model.write_text(BAD_MODEL, encoding="utf-8")

    reported = run_cli(project, "lint", str(model), check=False)
    assert reported.returncode == 1, reported.stdout
    for code in ("CP01", "LT04", "AL02", "CP03"):  # upper-case keywords, leading comma, implicit alias, UPPER()
        assert code in reported.stdout, f"{code} missing from:\n{reported.stdout}"
    assert "dataprodukt lint --fix" in reported.stderr

    run_cli(project, "lint", "--fix", str(model), check=False)
    fixed = model.read_text(encoding="utf-8")
    assert "select" in fixed and "SELECT" not in fixed
    assert "fylkesnummer," in fixed and "upper(fylkesnavn) as navn" in fixed
    again = run_cli(project, "lint", str(model), check=False)
    assert again.returncode == 0, again.stdout


def test_a_missing_path_is_a_user_error(project_copy: Path) -> None:
    result = run_cli(_with_lint_config(project_copy), "lint", "models/nowhere.sql", check=False)
    assert result.returncode == 2
    assert "nothing to lint at" in result.stderr and "nowhere.sql" in result.stderr


@pytest.mark.parametrize(("target", "variable"), [("postgres", "PGPASSWORD"), ("bigquery", "BQ_PROJECT")])
def test_a_target_without_its_settings_is_a_user_error(target: str, variable: str) -> None:
    env = {key: value for key, value in clean_env().items() if not key.startswith("BQ_")}
    result = run_cli(REPO, "lint", "--target", target, env=env, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{variable} is not set: linting for {target}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
def test_the_project_is_lint_clean_for_postgres(pg_env: dict[str, str]) -> None:
    result = run_cli(REPO, "lint", "--target", "postgres", env=clean_env(**pg_env), check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Skipped file" not in result.stdout + result.stderr, result.stdout[-4000:] + result.stderr[-2000:]
