"""Run a GitHub Actions workflow's own ``run:`` steps on this machine, in order, as the runner would.

The steps are read from the workflow file, never copied. ``${{ ... }}`` expressions are evaluated from a dict of
test values (``vars.X``, ``secrets.X``, ``inputs.X``, ``github.X``) and the outputs earlier steps wrote to
``$GITHUB_OUTPUT``; an unset variable or secret is the empty string, as on GitHub. An expression this small evaluator
does not know fails the run, so a changed workflow can't be half-tested. ``uses:`` steps (actions) are not run: the
caller lists what stands in for them (the emulators for Google's authentication, the installed environment for
setup-python).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONTEXTS = ("vars.", "secrets.", "inputs.", "github.")
LITERAL = re.compile(r"^'(.*)'$")


@dataclass
class StepResult:
    name: str
    ran: bool
    returncode: int = 0
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""


@dataclass
class WorkflowRun:
    """One job's steps run in ``workdir`` with ``values`` for the expressions."""

    workflow: dict[Any, Any]
    job: str
    workdir: Path
    values: dict[str, str]
    machine_env: dict[str, str]
    skip: dict[str, str] = field(default_factory=dict)  # step name -> why it is not run here
    after: dict[str, Callable[[], None]] = field(default_factory=dict)  # step name prefix -> called after it ran
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    results: list[StepResult] = field(default_factory=list)
    failed: bool = False

    @classmethod
    def read(cls, path: Path, job: str, workdir: Path, **options: Any) -> WorkflowRun:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")), job, workdir, **options)

    def evaluate(self, expression: str) -> str | bool:
        text = expression.strip()
        if "||" in text:
            for part in text.split("||"):
                value = self.evaluate(part)
                if value:
                    return value
            return ""
        for operator in ("!=", "=="):
            if operator in text:
                left, right = (self.evaluate(part) for part in text.split(operator, 1))
                return (left != right) if operator == "!=" else (left == right)
        if text in {"always()", "success()", "failure()", "cancelled()"}:
            return {"always()": True, "success()": not self.failed, "failure()": self.failed}.get(text, False)
        literal = LITERAL.match(text)
        if literal:
            return literal.group(1)
        if text in self.values:
            return self.values[text]
        if text.startswith("steps."):
            _steps, step_id, _outputs, name = text.split(".", 3)
            return self.outputs.get(step_id, {}).get(name, "")
        if text.startswith(CONTEXTS[:3]):
            return ""  # unset on GitHub: the empty string
        raise AssertionError(f"the workflow uses an expression this test does not know: ${{{{ {expression} }}}}")

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda match: str(self.evaluate(match.group(1))), text)

    def _env(self, *layers: dict[str, Any] | None) -> dict[str, str]:
        env = dict(self.machine_env)
        for layer in layers:
            env.update({str(key): self.substitute(str(value)) for key, value in (layer or {}).items()})
        return env

    def run(self) -> list[StepResult]:
        job = self.workflow["jobs"][self.job]
        files = self.workdir / ".github-runner"
        files.mkdir(exist_ok=True)
        for number, step in enumerate(job["steps"]):
            name = str(step.get("name") or step.get("uses") or f"step {number}")
            condition = step.get("if", "success()")
            wanted = self.evaluate(str(condition).removeprefix("${{").removesuffix("}}"))
            if not wanted or "run" not in step or name in self.skip:
                self.results.append(StepResult(name, ran=False))
                continue
            output = files / f"output-{number}"
            output.write_text("", encoding="utf-8")
            env = self._env(self.workflow.get("env"), job.get("env"), step.get("env"))
            env.update(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(files / "summary"), CI="true")
            began = time.monotonic()
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", self.substitute(str(step["run"]))],
                cwd=self.workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            self.results.append(
                StepResult(name, True, done.returncode, time.monotonic() - began, done.stdout, done.stderr)
            )
            if "id" in step:
                lines = output.read_text(encoding="utf-8").splitlines()
                self.outputs[str(step["id"])] = dict(line.split("=", 1) for line in lines if "=" in line)
            if done.returncode != 0:
                self.failed = True
            for prefix, call in self.after.items():
                if name.startswith(prefix):
                    call()
        return self.results


def runner_environment(**overrides: str) -> dict[str, str]:
    """The machine's environment as a fresh runner has it: nothing of this project's own settings."""
    prefixes = ("DBT_", "PG", "DUCKDB_", "DATAPRODUKT_", "BQ_", "STORAGE_EMULATOR_HOST", "GITHUB_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(overrides)
    return env
