"""pre-commit on a fresh clone, offline: every hook passes on the project, and bad commits are refused.

The clone is made from the working tree as it would be committed (tracked and new files, nothing ignored), so the
hooks under test are the ones in this tree. ``.venv`` in the clone links to the running virtualenv, as
`make run` would create it on a real clone. PRE_COMMIT_HOME and the git config are private to the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, clean_env

BAD_MODEL = """\
SELECT fylkesnummer , fylkesnavn FROM {{ ref('fylker') }}
"""


def _service_account_key() -> str:
    # assembled from pieces so this file passes the secrets scan itself
    key = "-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    return json.dumps({"type": "service_" + "account", "project_id": "demo", "private" + "_key": key}, indent=2)


def _git(clone: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


# what git ignores here (.gitignore), for a project folder that is not a git repository yet (a new product)
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "target",
    "logs",
    "dbt_packages",
    "__pycache__",
    "*.pyc",
    ".*_cache",
    "*.duckdb*",
    "*.egg-info",
    ".user.yml",
)


def _working_tree_files() -> list[str]:
    if not (REPO / ".git").exists():  # a new product before `git init`: what its first commit would hold
        files = []
        for folder, dirs, names in os.walk(REPO):
            dirs[:] = [name for name in dirs if name not in IGNORED(folder, dirs)]
            kept = [name for name in names if name not in IGNORED(folder, names)]
            files += [str((Path(folder) / name).relative_to(REPO)) for name in kept]
        return files
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("git-home")
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Test Analyst\n\temail = analyst@example.org\n[init]\n\tdefaultBranch = main\n")
    return clean_env(
        GIT_CONFIG_GLOBAL=str(config),
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home / "pre-commit"),
        # no network: a hook that tried to download anything would fail
        PIP_NO_INDEX="1",
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory, hook_env: dict[str, str]) -> Iterator[Path]:
    origin = tmp_path_factory.mktemp("origin") / "repo"
    for name in _working_tree_files():
        (origin / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, origin / name)
    _git(origin, "init", "-q", env=hook_env)
    _git(origin, "add", "-A", env=hook_env)
    _git(origin, "commit", "-q", "-m", "template", env=hook_env)

    clone = origin.parent / "clone"
    _git(origin.parent, "clone", "-q", str(origin), str(clone), env=hook_env)
    (clone / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    # `.venv/` in .gitignore matches a folder, not a link: keep `git clean` away from it
    (clone / ".git" / "info" / "exclude").write_text(".venv\n", encoding="utf-8")
    installed = subprocess.run(
        [str(clone / ".venv" / "bin" / "pre-commit"), "install"],
        cwd=clone,
        env=hook_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (clone / ".git" / "hooks" / "pre-commit").is_file()
    yield clone


def _commit(clone: Path, env: dict[str, str], files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        (clone / name).write_text(text, encoding="utf-8")
    _git(clone, "add", *files, env=env)
    return _git(clone, "commit", "-m", "change", env=env, check=False)


def _reset(clone: Path, env: dict[str, str]) -> None:
    _git(clone, "reset", "-q", "--hard", "HEAD", env=env)
    _git(clone, "clean", "-q", "-fd", env=env)  # untracked files only; the ignored .venv link stays


def _commits(clone: Path, env: dict[str, str]) -> int:
    return int(_git(clone, "rev-list", "--count", "HEAD", env=env).stdout)


def _status(output: str, hook: str) -> str:
    """pre-commit's verdict on one hook ("Passed", "Failed", ...), from its line ``name.....Verdict``."""
    for line in output.splitlines():
        if line.startswith(hook):
            verdict = re.search(r"(Passed|Failed|Skipped)\s*$", line)
            return verdict[1] if verdict else line
    return "not run"


HOOKS = ("no secrets", "no large files", "YAML is valid", "ruff check", "ruff format", "sqlfluff", "dataprodukt check")


def test_every_hook_passes_on_the_whole_project(clone: Path, hook_env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(clone / ".venv" / "bin" / "pre-commit"), "run", "--all-files"],
        cwd=clone,
        env=hook_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    expected = dict.fromkeys(HOOKS, "Passed")
    if not list((clone / "models").rglob("*.sql")):
        expected["sqlfluff"] = "Skipped"  # a new product without the example has no SQL yet
    assert {hook: _status(result.stdout, hook) for hook in HOOKS} == expected, result.stdout


REFUSED = [
    pytest.param(
        {"profiles/service-account.json": _service_account_key()},
        ("no secrets",),
        ["service-account.json:2: Google service-account key file"],
        id="secret",
    ),
    pytest.param(
        {"docs/export.csv": "id;verdi\n" + "1;2\n" * 160_000},
        ("no large files",),
        ["over the 500 KB limit"],
        id="large-file",
    ),
    pytest.param(
        {"models/_broken.yml": "version: 2\nmodels: [\n"},
        ("YAML is valid",),
        ["_broken.yml:3:1: invalid YAML"],
        id="yaml",
    ),
    pytest.param({"scripts/dataprodukt/unused.py": '"""x."""\n\nimport os\n'}, ("ruff check",), ["F401"], id="python"),
    pytest.param(
        {"models/intermediate/fylke_rapport.sql": BAD_MODEL},
        ("sqlfluff", "dataprodukt check"),
        ["fylke_rapport.sql", "CP01", "fylke_rapport (models/intermediate/fylke_rapport.sql)"],
        id="bad-model",
    ),
]


@pytest.mark.parametrize(("files", "hooks", "expected"), REFUSED)
def test_a_bad_commit_is_refused(
    clone: Path, hook_env: dict[str, str], files: dict[str, str], hooks: tuple[str, ...], expected: list[str]
) -> None:
    before = _commits(clone, hook_env)
    try:
        result = _commit(clone, hook_env, files)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert {hook: _status(output, hook) for hook in hooks} == dict.fromkeys(hooks, "Failed"), output
        for text in expected:
            assert text in output, f"{text!r} missing from:\n{output}"
        assert _commits(clone, hook_env) == before
    finally:
        _reset(clone, hook_env)


def test_a_clean_commit_goes_through(clone: Path, hook_env: dict[str, str]) -> None:
    """The refusals above come from the hooks' verdicts, not from hooks that cannot run."""
    before = _commits(clone, hook_env)
    try:
        result = _commit(clone, hook_env, {"docs/notes.md": "# Notes\n\nThe tables are built every quarter.\n"})
        assert result.returncode == 0, result.stdout + result.stderr
        assert _status(result.stdout + result.stderr, "no secrets") == "Passed"
        assert _commits(clone, hook_env) == before + 1
    finally:
        _git(clone, "reset", "-q", "--hard", "HEAD~1" if _commits(clone, hook_env) > before else "HEAD", env=hook_env)
        _reset(clone, hook_env)


def test_the_hooks_need_no_network() -> None:
    repos = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    assert [repo["repo"] for repo in repos] == ["local"]
    for hook in repos[0]["hooks"]:
        assert hook["language"] == "system", hook["id"]
        assert hook["entry"].startswith(".venv/bin/"), hook["id"]
