"""A BigQuery emulator on this machine, so the BigQuery target runs for real without a cloud account.

The emulator is the ``bqemulator`` package from PyPI. It pins its own DuckDB, so it lives in its own virtualenv
under ``build/bqemulator/venv`` (versions pinned in ``data/bqemulator-requirements.txt``, wheels only). At start
it wants DuckDB's spatial and avro extensions; they are copied from their PyPI wheels into a private HOME under
``build/bqemulator/home``, so nothing is downloaded. The process runs in the background; its id, ports and log
are kept under ``build/bqemulator/`` so ``stop`` and ``status`` find it again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dataprodukt.core import background
from dataprodukt.core import venv as tool_venv
from dataprodukt.core.errors import UserError

DEFAULT_REST_PORT = 9050
DEFAULT_GRPC_PORT = 9060
DEFAULT_PROJECT = "dataprodukt-local"
REQUIREMENTS = "bqemulator-requirements.txt"


def requirements_text() -> str:
    return tool_venv.requirements_text(REQUIREMENTS)


@dataclass(frozen=True)
class Emulator:
    """One emulator: where its files live and the ports it listens on."""

    state_dir: Path
    rest_port: int = DEFAULT_REST_PORT
    grpc_port: int = DEFAULT_GRPC_PORT
    project: str = DEFAULT_PROJECT
    venv_dir: Path | None = None

    @property
    def venv(self) -> Path:
        return self.venv_dir or self.state_dir / "venv"

    @property
    def home(self) -> Path:
        """A private HOME: DuckDB looks for its extensions under $HOME/.duckdb."""
        return self.state_dir / "home"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "emulator.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "emulator.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def env(self) -> dict[str, str]:
        """What a dbt run or a BigQuery client needs to reach this emulator (see profiles/profiles.yml)."""
        return {
            "BQ_EMULATOR_ENDPOINT": self.endpoint,
            "BQ_EMULATOR_PROJECT": self.project,
        }


def healthy(endpoint: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/healthz", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _python(venv_dir: Path) -> Path:
    return tool_venv.python_of(venv_dir)


def ensure_venv(emulator: Emulator) -> Path:
    """Create the emulator's virtualenv once per pinned requirements (see ``core.venv``)."""
    return tool_venv.ensure(emulator.venv, REQUIREMENTS, "the BigQuery emulator")


def place_extensions(emulator: Emulator) -> Path:
    """Copy the DuckDB extensions shipped in the emulator venv's wheels to where DuckDB looks for them."""
    probe = subprocess.run(
        [
            str(_python(emulator.venv)),
            "-c",
            "import duckdb; print(duckdb.__version__); print(duckdb.sql('pragma platform').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if probe.returncode != 0:
        raise UserError(f"the emulator's DuckDB in {emulator.venv} does not start: {probe.stderr.strip()[-400:]}")
    version, platform = probe.stdout.split()[:2]
    found = sorted(emulator.venv.glob(f"lib/python*/site-packages/duckdb_extension_*/extensions/v{version}/*"))
    found = [path for path in found if path.name.endswith(".duckdb_extension")]
    if not found:
        raise UserError(
            f"no DuckDB {version} extension files in {emulator.venv}: the duckdb-extension-* wheels must match "
            f"duckdb=={version} in {REQUIREMENTS}"
        )
    target = emulator.home / ".duckdb" / "extensions" / f"v{version}" / platform
    target.mkdir(parents=True, exist_ok=True)
    for path in found:
        shutil.copy2(path, target / path.name)
    return target


def start(emulator: Emulator, timeout: float = 60.0) -> int:
    """Start the emulator in the background and wait until it answers; return its process id."""
    state = background.read_state(emulator.pid_file)
    if state and background.alive(state["pid"]) and healthy(emulator.endpoint):
        return int(state["pid"])
    if healthy(emulator.endpoint):
        raise UserError(
            f"something already answers at {emulator.endpoint} that this project did not start: stop it, or choose "
            "other ports (--port/--grpc-port) and set BQ_EMULATOR_ENDPOINT to match"
        )
    ensure_venv(emulator)
    place_extensions(emulator)
    emulator.state_dir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = str(emulator.home)
    command = [
        str(emulator.venv / "bin" / "bqemulator"),
        "start",
        "--rest-port",
        str(emulator.rest_port),
        "--grpc-port",
        str(emulator.grpc_port),
        "--project",
        emulator.project,
        "--log-level",
        "warning",
    ]
    return background.launch(
        "BigQuery emulator",
        command,
        state_file=emulator.pid_file,
        log_file=emulator.log_file,
        state={"rest_port": emulator.rest_port, "grpc_port": emulator.grpc_port},
        answers=lambda: healthy(emulator.endpoint),
        address=f"{emulator.endpoint}/healthz",
        timeout=timeout,
        interval=0.3,
        env=env,
        hint="; a busy machine may need --timeout",
    )


def stop(emulator: Emulator, timeout: float = 15.0) -> bool:
    """Stop the emulator this project started; return False when none was running."""
    return background.stop(emulator.pid_file, timeout)


def status(emulator: Emulator) -> str:
    state = background.read_state(emulator.pid_file)
    if state and background.alive(state["pid"]):
        answer = "answering" if healthy(emulator.endpoint) else "NOT answering"
        return f"running (process {state['pid']}), {answer} at {emulator.endpoint}; log {emulator.log_file}"
    if healthy(emulator.endpoint):
        return f"not started by this project, but something answers at {emulator.endpoint}"
    return "stopped"


def require_running(endpoint: str | None = None) -> None:
    """Fail at once, with what to do, when the emulator target's endpoint does not answer (dbt would hang retrying)."""
    endpoint = endpoint or os.environ.get("BQ_EMULATOR_ENDPOINT") or f"http://127.0.0.1:{DEFAULT_REST_PORT}"
    if not healthy(endpoint, timeout=3.0):
        raise UserError(
            f"target bigquery_emulator: no BigQuery emulator answers at {endpoint}: start it with "
            "`dataprodukt bq-emulator start` (or set BQ_EMULATOR_ENDPOINT to where it runs)"
        )


def from_state(state_dir: Path, project: str = DEFAULT_PROJECT, venv_dir: Path | None = None) -> Emulator:
    """The emulator recorded in ``state_dir`` (its ports), or the default ports."""
    probe = Emulator(state_dir, project=project, venv_dir=venv_dir)
    state = background.read_state(probe.pid_file)
    if not state:
        return probe
    return Emulator(state_dir, int(state["rest_port"]), int(state["grpc_port"]), project, venv_dir)
