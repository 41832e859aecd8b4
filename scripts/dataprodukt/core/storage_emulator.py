"""A Google Cloud Storage emulator on this machine that refuses to overwrite, as Cloud Storage does.

The emulator is ``gcp-storage-emulator`` from PyPI (a dev dependency in the lock). It speaks Cloud Storage's JSON
API well enough for google-cloud-storage (uploads, downloads, listings), but it ignores the write preconditions
``ifGenerationMatch`` and ``ifGenerationNotMatch``: a second "create only if absent" upload (``ifGenerationMatch=0``,
what publishing sends for every versioned file) succeeds and replaces the object. Against it, a test of "never
overwrite" or of two racing publishers would pass for the wrong reason.

So the emulator's storage and request handlers run here behind a request handler of this project's own: before an
object is stored (every upload kind, copy, rewrite and compose end in the same storage call) the request's
preconditions are compared with the live object's generation (0 when there is none), and a mismatch is answered
with Cloud Storage's 412 ``conditionNotMet``. The HTTP server serves one request at a time, so nothing can happen
between the check and the write. Not covered: ``ifMetagenerationMatch``, source-object preconditions and the XML
API.

``dataprodukt gcs-emulator start`` runs it in the background (``python -m dataprodukt.core.storage_emulator``);
tests run :class:`EmulatorServer` in their own process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from http.server import HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dataprodukt.core import background
from dataprodukt.core.errors import UserError

DEFAULT_PORT = 9023
DEFAULT_BUCKET = "dataprodukt-local"
HOST_VARIABLE = "STORAGE_EMULATOR_HOST"  # google-cloud-storage's own: set, its client talks to the emulator
CONDITIONS = ("ifGenerationMatch", "ifGenerationNotMatch")
NOT_MET = {
    "error": {
        "code": 412,
        "message": "At least one of the pre-conditions you specified did not hold.",
        "errors": [
            {
                "domain": "global",
                "reason": "conditionNotMet",
                "message": "At least one of the pre-conditions you specified did not hold.",
                "locationType": "header",
                "location": "If-Match",
            }
        ],
    }
}


class PreconditionNotMet(Exception):
    """The object's generation does not satisfy the request's precondition."""


def _emulator() -> Any:
    try:
        from gcp_storage_emulator import server, storage
        from gcp_storage_emulator.handlers import buckets
    except ImportError as error:
        raise UserError(
            "the Cloud Storage emulator is not installed: `make install` installs it (gcp-storage-emulator, in the "
            "dev dependencies of requirements.lock)"
        ) from error
    return server, storage, buckets


def violated(conditions: dict[str, list[str]], generation: int) -> str | None:
    """The precondition ``generation`` (0: no live object) breaks, or None when all hold."""
    for name in CONDITIONS:
        for wanted in conditions.get(name, []):
            equal = int(wanted) == generation
            if equal != (name == "ifGenerationMatch"):
                return f"{name}={wanted} (live generation {generation})"
    return None


def _guarded_storage_class(storage_module: Any) -> Any:
    class GuardedStorage(storage_module.Storage):  # type: ignore[misc]
        """The emulator's storage, checking the preconditions of the request being served before each write."""

        conditions: dict[str, list[str]] = {}  # noqa: RUF012 (set per request by the handler)
        refused = False

        def create_file(self, bucket_name: str, file_name: str, *args: Any, **kwargs: Any) -> Any:
            live = self.objects.get(bucket_name, {}).get(file_name)
            problem = violated(self.conditions, int(live["generation"]) if live else 0)
            if problem:
                self.refused = True
                raise PreconditionNotMet(f"{bucket_name}/{file_name}: {problem}")
            return super().create_file(bucket_name, file_name, *args, **kwargs)

    return GuardedStorage


def _handler_class(server_module: Any) -> Any:
    class Handler(server_module.RequestHandler):  # type: ignore[misc]
        def parse_request(self) -> bool:
            parsed = bool(super().parse_request())
            if parsed:
                self.storage.conditions = parse_qs(urlsplit(self.path).query)
                self.storage.refused = False
            return parsed

        def _route(self, method: str) -> None:
            try:
                server_module.Router(self).handle(method)
            except PreconditionNotMet:
                body = json.dumps(NOT_MET).encode("utf-8")
                self.send_response(412, "Precondition Failed")
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        def do_PATCH(self) -> None:
            self._route("PATCH")

    return Handler


class EmulatorServer:
    """The emulator in this process, on a background thread: ``start()``, ``endpoint``, ``stop()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, data_dir: Path | None = None, bucket: str = "") -> None:
        server_module, storage_module, self._buckets = _emulator()
        self.storage = _guarded_storage_class(storage_module)(
            use_memory_fs=data_dir is None, data_dir=str(data_dir) if data_dir else None
        )
        if bucket:
            self.create_bucket(bucket)
        # the emulator logs the refusal as a handler error before this handler answers 412: not an error here;
        # and it warns about its own way of answering the health check on every call
        logger = logging.getLogger(server_module.__name__)
        logger.addFilter(lambda _record: not self.storage.refused)
        logger.setLevel(logging.ERROR)
        # a read of an absent object (how "does it exist?" is asked) is logged as an error by the storage
        logging.getLogger(storage_module.__name__).setLevel(logging.CRITICAL)
        self.httpd = HTTPServer((host, port), partial(_handler_class(server_module), self.storage))
        self._thread: threading.Thread | None = None

    def create_bucket(self, name: str) -> str:
        """Make the bucket unless it exists; its root ``gs://<name>``."""
        self._buckets.create_bucket(name, self.storage)
        return f"gs://{name}"

    @property
    def endpoint(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="gcs-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass(frozen=True)
class Emulator:
    """The background emulator of ``dataprodukt gcs-emulator``: where its files live and its port."""

    state_dir: Path
    port: int = DEFAULT_PORT
    bucket: str = DEFAULT_BUCKET

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "emulator.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "emulator.log"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"


def healthy(endpoint: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start(emulator: Emulator, timeout: float = 30.0) -> int:
    """Start the emulator in the background (objects kept under its state folder); return its process id."""
    state = background.read_state(emulator.pid_file)
    if state and background.alive(state["pid"]) and healthy(emulator.endpoint):
        return int(state["pid"])
    if healthy(emulator.endpoint):
        raise UserError(
            f"something already answers at {emulator.endpoint} that this project did not start: stop it, or choose "
            f"another port (--port) and set {HOST_VARIABLE} to match"
        )
    _emulator()
    emulator.data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", __name__, "--port", str(emulator.port), "--data-dir", str(emulator.data_dir)]
    return background.launch(
        "Cloud Storage emulator",
        [*command, "--bucket", emulator.bucket],
        state_file=emulator.pid_file,
        log_file=emulator.log_file,
        state={"port": emulator.port, "bucket": emulator.bucket},
        answers=lambda: healthy(emulator.endpoint),
        address=emulator.endpoint,
        timeout=timeout,
        interval=0.1,
    )


def stop(emulator: Emulator) -> bool:
    return background.stop(emulator.pid_file)


def status(emulator: Emulator) -> str:
    state = background.read_state(emulator.pid_file)
    if state and background.alive(int(state["pid"])):
        answer = "answering" if healthy(emulator.endpoint) else "NOT answering"
        return f"running (process {state['pid']}), {answer} at {emulator.endpoint}; log {emulator.log_file}"
    if healthy(emulator.endpoint):
        return f"not started by this project, but something answers at {emulator.endpoint}"
    return "stopped"


def from_state(state_dir: Path) -> Emulator:
    """The emulator recorded in ``state_dir`` (its port and bucket), or the defaults."""
    state = background.read_state(Emulator(state_dir).pid_file) or {}
    return Emulator(state_dir, int(state.get("port", DEFAULT_PORT)), str(state.get("bucket", DEFAULT_BUCKET)))


def require_running() -> None:
    """With ``STORAGE_EMULATOR_HOST`` set, fail at once when nothing answers there (the client would retry for
    two minutes)."""
    endpoint = os.environ.get(HOST_VARIABLE, "").strip()
    if endpoint and not healthy(endpoint if "://" in endpoint else f"http://{endpoint}", timeout=3.0):
        raise UserError(
            f"no Cloud Storage emulator answers at {endpoint} ({HOST_VARIABLE}): start it with "
            f"`dataprodukt gcs-emulator start`, or unset {HOST_VARIABLE} to use Google Cloud Storage"
        )


def main(argv: list[str] | None = None) -> int:
    """Serve in the foreground until SIGTERM or Ctrl-C (what ``dataprodukt gcs-emulator start`` runs)."""
    parser = argparse.ArgumentParser(prog="python -m dataprodukt.core.storage_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--data-dir", type=Path, help="keep objects in this folder (default: in memory)")
    parser.add_argument("--bucket", default=DEFAULT_BUCKET, help="a bucket made at start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    server = EmulatorServer(args.host, args.port, args.data_dir, args.bucket)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.httpd.shutdown).start())
    print(f"Cloud Storage emulator at {server.endpoint}, bucket {args.bucket}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.httpd.serve_forever()
    server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
