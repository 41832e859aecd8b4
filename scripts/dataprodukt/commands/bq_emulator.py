"""``dataprodukt bq-emulator start|stop|status``: a local BigQuery emulator for the bigquery_emulator target."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from dataprodukt.commands import project
from dataprodukt.core import bigquery_emulator


def _emulator(args: argparse.Namespace) -> bigquery_emulator.Emulator:
    found = project(args)
    state_dir = found.build_dir / "bqemulator"
    name = os.environ.get("BQ_EMULATOR_PROJECT", bigquery_emulator.DEFAULT_PROJECT)
    # BQ_EMULATOR_VENV reuses an emulator virtualenv made elsewhere (e.g. by another copy of the project)
    venv = Path(os.environ["BQ_EMULATOR_VENV"]) if os.environ.get("BQ_EMULATOR_VENV") else None
    if args.action == "start":
        return bigquery_emulator.Emulator(state_dir, args.port, args.grpc_port, name, venv)
    return bigquery_emulator.from_state(state_dir, name, venv)


def handle(args: argparse.Namespace) -> int:
    emulator = _emulator(args)
    if args.action == "start":
        pid = bigquery_emulator.start(emulator, timeout=args.timeout)
        print(f"BigQuery emulator running (process {pid}) at {emulator.endpoint}, project {emulator.project}")
        if emulator.rest_port != bigquery_emulator.DEFAULT_REST_PORT:
            print(f"for dbt and dataprodukt: export BQ_EMULATOR_ENDPOINT={emulator.endpoint}")
        print("build on it: dataprodukt run --target bigquery_emulator; stop it: dataprodukt bq-emulator stop")
        return 0
    if args.action == "stop":
        stopped = bigquery_emulator.stop(emulator)
        print("BigQuery emulator stopped" if stopped else "no BigQuery emulator was running")
        return 0
    text = bigquery_emulator.status(emulator)
    print(f"BigQuery emulator: {text}")
    return 0 if text.startswith("running") else 1


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "bq-emulator", help="start, stop or show the local BigQuery emulator (for --target bigquery_emulator)"
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--port", type=int, default=bigquery_emulator.DEFAULT_REST_PORT, help="REST port (9050)")
    parser.add_argument("--grpc-port", type=int, default=bigquery_emulator.DEFAULT_GRPC_PORT, help="gRPC port (9060)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for it to answer (60)")
    parser.set_defaults(handler=handle)
