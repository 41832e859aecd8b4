"""``dataprodukt gcs-emulator start|stop|status``: a local Cloud Storage emulator for a ``gs://`` storage root."""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt.commands import project
from dataprodukt.core import storage_emulator


def handle(args: argparse.Namespace) -> int:
    state_dir = project(args).build_dir / "gcsemulator"
    if args.action == "start":
        emulator = storage_emulator.Emulator(state_dir, args.port, args.bucket)
        pid = storage_emulator.start(emulator, timeout=args.timeout)
        print(f"Cloud Storage emulator running (process {pid}) at {emulator.endpoint}, bucket {emulator.bucket}")
        print(f"for dataprodukt: export {storage_emulator.HOST_VARIABLE}={emulator.endpoint}")
        print(f"publish to it: export DATAPRODUKT_STORAGE_ROOT=gs://{emulator.bucket}")
        print(f"objects are kept in {emulator.data_dir}; stop it: dataprodukt gcs-emulator stop")
        return 0
    emulator = storage_emulator.from_state(state_dir)
    if args.action == "stop":
        stopped = storage_emulator.stop(emulator)
        print("Cloud Storage emulator stopped" if stopped else "no Cloud Storage emulator was running")
        return 0
    text = storage_emulator.status(emulator)
    print(f"Cloud Storage emulator: {text}")
    return 0 if text.startswith("running") else 1


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "gcs-emulator", help="start, stop or show the local Cloud Storage emulator (for a gs:// storage root)"
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--port", type=int, default=storage_emulator.DEFAULT_PORT, help="port (9023)")
    parser.add_argument("--bucket", default=storage_emulator.DEFAULT_BUCKET, help="bucket made at start")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for it to answer (30)")
    parser.set_defaults(handler=handle)
