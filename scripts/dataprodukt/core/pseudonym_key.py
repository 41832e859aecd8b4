"""The secret key of the ``pseudonymize`` macro: from the environment, or a local development key.

Production sets ``DATAPRODUKT_PSEUDONYM_KEY`` from its secret store. So that the example still builds on a fresh
machine, the local targets (duckdb, postgres, the BigQuery emulator) get a random development key, made once in
``build/pseudonym.key``
(never in the repository: build/ is ignored) and announced on stderr. BigQuery, the production engine, never gets
a generated key: a missing key stops the build with the macro's error.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from dataprodukt.core.errors import UserError

KEY_VARIABLE = "DATAPRODUKT_PSEUDONYM_KEY"
# what the macro computes, as a Datadoc pseudonymization block names it (macros/privacy/pseudonymize.sql)
ALGORITHM = "HMAC-SHA-256"
# the var naming the key in a Datadoc document: the key's reference (where it is kept), never the key
KEY_REFERENCE_VAR = "pseudonym_key_reference"
KEY_FILE = "pseudonym.key"
LOCAL_TARGETS = frozenset({"duckdb", "postgres", "bigquery_emulator"})
MIN_BYTES, MAX_BYTES = 32, 64


def key_reference(variables: dict[str, object]) -> str:
    """Where the key is kept, as documents name it: the var ``pseudonym_key_reference`` (e.g. the secret's name
    in production's secret store), else the environment variable the macro reads."""
    return str(variables.get(KEY_REFERENCE_VAR) or KEY_VARIABLE)


def development_key(build_dir: Path) -> tuple[str, bool]:
    """The local key in ``build_dir``, made (64 hex characters, mode 0600) when missing; and whether it was made."""
    path = build_dir / KEY_FILE
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if not MIN_BYTES <= len(key.encode("utf-8")) <= MAX_BYTES:
            raise UserError(
                f"{path} holds a key of {len(key.encode('utf-8'))} bytes: delete the file to get a new "
                f"development key, or write a random key of {MIN_BYTES}-{MAX_BYTES} characters into it"
            )
        return key, False
    build_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key, True


def ensure_key(target: str, build_dir: Path) -> None:
    """Set ``DATAPRODUKT_PSEUDONYM_KEY`` for a local target when the environment has none."""
    if os.environ.get(KEY_VARIABLE) or target not in LOCAL_TARGETS:
        return
    key, made = development_key(build_dir)
    os.environ[KEY_VARIABLE] = key
    action = "made a new" if made else "using the"
    print(
        f"dataprodukt: {KEY_VARIABLE} is not set: {action} local development key in {build_dir / KEY_FILE} "
        "(pseudonyms from it are for development only; production sets the secret key)",
        file=sys.stderr,
    )
