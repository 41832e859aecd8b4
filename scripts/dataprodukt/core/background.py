"""A server this project runs in the background (the BigQuery and Cloud Storage emulators): its state file, whether
it lives, its log, and stopping it.

The state file (JSON) holds the process id and whatever the server needs to be found again (its ports). The
process runs in a session of its own, so stopping it ends its whole process group, never anything else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_state(path: Path, **state: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state) + "\n", encoding="utf-8")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # a finished child of this process stays a zombie until it is reaped
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return finished == 0


def log_tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def stop(state_file: Path, timeout: float = 15.0) -> bool:
    """Stop the process group recorded in ``state_file``; return False when none was running."""
    state = read_state(state_file)
    if not state:
        return False
    pid = int(state["pid"])
    state_file.unlink(missing_ok=True)
    if not alive(pid):
        return False
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sent)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                return True
            time.sleep(0.2)
    return True


def launch(
    name: str,
    command: list[str],
    *,
    state_file: Path,
    log_file: Path,
    state: dict[str, Any],
    answers: Callable[[], bool],
    address: str,
    timeout: float,
    interval: float,
    env: dict[str, str] | None = None,
    hint: str = "",
) -> int:
    """Start ``command`` in a session of its own (output to ``log_file``), record it with ``state``, and wait until
    ``answers()``; return its process id. A process that exits first, or doesn't answer within ``timeout`` (it is
    stopped then), is a UserError naming the server (``name``), where it was asked (``address``) and its log."""
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=log_file.parent, start_new_session=True
        )
    write_state(state_file, pid=process.pid, **state)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers():
            return process.pid
        if process.poll() is not None:
            state_file.unlink(missing_ok=True)
            raise UserError(
                f"the {name} exited with status {process.returncode} before answering at {address}: "
                f"{log_tail(log_file)} (full log: {log_file})"
            )
        time.sleep(interval)
    stop(state_file)
    raise UserError(
        f"the {name} did not answer at {address} within {timeout:.0f} s, so it was stopped: {log_tail(log_file)} "
        f"(full log: {log_file}){hint}"
    )
