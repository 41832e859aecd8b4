"""GitHub Actions: every workflow is valid against GitHub's workflow schema (offline, check-jsonschema's vendored
copy), the production run has what it promises (keyless auth, no overlap, the period from the date, artifacts,
visible failure), and the pull-request version check really refuses a changed published model."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataprodukt.cli import main as cli_main
from dataprodukt.rules.schedule import previous_month, previous_quarter, previous_year
from tests.conftest import REPO, clean_env

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


def _load(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    return data


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _step(workflow: dict[Any, Any], name_starts: str) -> dict[str, Any]:
    found = [step for step in _steps(workflow) if str(step.get("name", "")).startswith(name_starts)]
    assert len(found) == 1, f"one step named {name_starts!r}, found {len(found)}"
    return found[0]


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_both_workflows_exist() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "scheduled.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[path.name for path in WORKFLOWS])
def test_a_workflow_is_valid_offline(path: Path) -> None:
    result = _validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


BROKEN = [
    ("no runs-on", "on: push\njobs:\n  a:\n    steps:\n      - run: echo\n"),
    ("unknown event", "on: [pushed]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"),
    (
        "step with uses and run",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: a/b@v1\n        run: x\n",
    ),
]


@pytest.mark.parametrize(("label", "text"), BROKEN, ids=[case[0] for case in BROKEN])
def test_a_broken_workflow_is_refused(tmp_path: Path, label: str, text: str) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(text, encoding="utf-8")
    result = _validate(path)
    assert result.returncode == 1, f"{label}: {result.stdout}"
    assert "Schema validation errors" in result.stdout


def test_the_scheduled_run_is_keyless_serial_and_visible() -> None:
    workflow = _load("scheduled.yml")
    text = (REPO / ".github" / "workflows" / "scheduled.yml").read_text(encoding="utf-8")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert workflow["concurrency"] == {"group": "scheduled-production", "cancel-in-progress": False}
    assert workflow["permissions"]["id-token"] == "write"

    auth = _step(workflow, "Authenticate to Google Cloud")
    assert auth["uses"].startswith("google-github-actions/auth@")
    assert auth["with"]["workload_identity_provider"] == "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"
    assert auth["with"]["service_account"] == "${{ vars.GCP_SERVICE_ACCOUNT }}"
    for key_material in ("credentials_json", "secrets.GCP", "BQ_KEYFILE", "service-account"):
        assert key_material not in text, key_material

    main_job = _step(workflow, "The main job on BigQuery")
    assert main_job["run"] == '.venv/bin/dataprodukt run --target "$DBT_TARGET" --no-generate --vars "$PERIOD_VARS"'
    assert main_job["env"] == {
        "DATAPRODUKT_PSEUDONYM_KEY": "${{ secrets.DATAPRODUKT_PSEUDONYM_KEY }}",  # this step alone gets the key
        "PERIOD_VARS": "${{ steps.period.outputs.vars }}",
    }
    assert workflow["env"]["DBT_TARGET"] == "${{ vars.DBT_TARGET || 'bigquery' }}"
    assert workflow["env"]["DATAPRODUKT_STORAGE_ROOT"] == "${{ vars.DATAPRODUKT_STORAGE_ROOT }}"
    first = workflow["jobs"]["run"]["steps"][0]
    assert first["name"] == "The settings this run needs", "the settings are checked before anything else"
    assert text.count("secrets.") == 2, "the key reaches the settings check and the main job, nothing else"
    uploads = [step for step in _steps(workflow) if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    assert "target/manifest.json" in uploads[0]["with"]["path"] and uploads[0]["with"]["name"] == "dbt-artifacts"
    # new versions a run made from corrected data reach the repository as a pull request
    proposed = _step(workflow, "New versions made from corrected data")["run"]
    assert "git status --porcelain -- models" in proposed and "gh pr create" in proposed
    assert workflow["permissions"]["pull-requests"] == "write"
    failure = _step(workflow, "Make the failure visible")
    assert failure["if"] == "failure()" and "gh issue create" in failure["run"]


def test_the_schedule_builds_the_quarter_that_just_ended() -> None:
    _minute, _hour, day, months, weekday = _load("scheduled.yml")[True]["schedule"][0]["cron"].split()
    assert weekday == "*" and day.isdigit()
    for month in map(int, months.split(",")):
        run_day = date(2025, month, int(day))
        ended = previous_quarter(run_day)
        first_month_of_next = (int(ended[-1]) * 3) % 12 + 1
        assert first_month_of_next == month, (run_day, ended)


def test_pull_request_ci_installs_lints_tests_with_postgres_and_keeps_artifacts() -> None:
    workflow = _load("ci.yml")
    job = workflow["jobs"]["test"]
    assert job["services"]["postgres"]["image"] == "postgres:15"
    assert {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"} <= set(workflow["env"])
    runs = [str(step.get("run", "")) for step in job["steps"]]
    assert runs.index("make install") < runs.index("make lint") < runs.index(".ci/run")
    hooks = _step(workflow, "No secrets, no large files")["run"]
    assert all("pre-commit run" in hooks and hook in hooks for hook in ("secrets", "large-files", "yaml"))
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _step(workflow, "Fetch the last published manifest")["id"] == "state"
    assert _step(workflow, "Keep the artifacts")["if"] == "always()"


QUARTERS = [
    (date(2025, 1, 5), "2024-Q4"),
    (date(2025, 3, 31), "2024-Q4"),
    (date(2025, 4, 1), "2025-Q1"),
    (date(2025, 7, 5), "2025-Q2"),
    (date(2025, 10, 5), "2025-Q3"),
    (date(2025, 12, 31), "2025-Q3"),
]


@pytest.mark.parametrize(("today", "period"), QUARTERS, ids=[str(case[0]) for case in QUARTERS])
def test_previous_quarter(today: date, period: str) -> None:
    assert previous_quarter(today) == period


@pytest.mark.parametrize(
    ("rule", "today", "period"),
    [
        (previous_month, date(2025, 1, 10), "2024-12"),
        (previous_month, date(2025, 11, 1), "2025-10"),
        (previous_year, date(2025, 6, 1), "2024"),
    ],
)
def test_other_periods(rule: Any, today: date, period: str) -> None:
    assert rule(today) == period


def test_the_schedule_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["period", "previous-quarter", "--date", "2025-04-05", "--vars"]) == 0
    assert capsys.readouterr().out.strip() == "{period_from: '2025-Q1', period_to: '2025-Q1'}"
    assert cli_main(["period", "--period", "2024-Q2"]) == 0
    assert capsys.readouterr().out.strip() == "2024-Q2"
    assert cli_main(["period", "--period", "2024-Q5", "--vars"]) == 2
    assert "a quarter is numbered Q1-Q4" in capsys.readouterr().err


def _version_check(project: Path) -> subprocess.CompletedProcess[str]:
    step = _step(_load("ci.yml"), "Published versions are never changed")
    env = clean_env(**{key: str(value) for key, value in step["env"].items()})
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", step["run"]],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_version_check_refuses_a_changed_published_model(project_copy: Path) -> None:
    """The CI step as written in ci.yml, against a compiled manifest of the unchanged project (the 'published'
    state, as a scheduled run's artifact holds it): a reformatting passes, a change to the data is refused."""
    (project_copy / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = clean_env(DBT_PROFILES_DIR="profiles", DUCKDB_PATH=":memory:", DATAPRODUKT_PSEUDONYM_KEY="k" * 40)
    dbt = str(Path(sys.prefix) / "bin" / "dbt")
    subprocess.run([dbt, "compile", "--quiet", "--target-path", "state"], cwd=project_copy, env=env, check=True)

    unchanged = _version_check(project_copy)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr

    published = next((project_copy / "models" / "utdata").glob("*_v1.sql"))
    original = published.read_text(encoding="utf-8")
    published.write_text("-- reformatted\n" + original.replace("    ", "  "), "utf-8")
    reformatted = _version_check(project_copy)
    assert reformatted.returncode == 0, reformatted.stdout + reformatted.stderr
    assert "no data change possible" in reformatted.stdout

    published.write_text(original.replace("select", "select distinct", 1), "utf-8")
    changed = _version_check(project_copy)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert f"::error file=models/utdata/{published.name}::" in changed.stdout
    assert "add version 2 to change it" in changed.stdout
