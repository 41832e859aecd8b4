"""The secret key of the ``pseudonymize`` macro: from the environment (or a local development key) into the
warehouse's key table, where the queries read it when they run.

Production sets ``DATAPRODUKT_PSEUDONYM_KEY`` from its secret store. So that the example still builds on a fresh
machine, the local targets (duckdb, postgres, the BigQuery emulator) get a random development key, made once in
``build/pseudonym.key`` (never in the repository: build/ is ignored) and announced on stderr. BigQuery, the
production engine, never gets a generated key: a missing key stops the run, naming the secret to set.

Before dbt runs, :func:`load` writes the key's HMAC pads (ipad, opad) into the key table
``<var pseudonym_key_schema>.nokkel`` with the warehouse's bulk load (``Warehouse.load_rows``: a prepared statement
on DuckDB, COPY on PostgreSQL, a load job on BigQuery), so no statement's text, no query log and no job history
holds the key or its pads. Only the pipeline's identity may read that schema (docs/privacy.md).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import LOCAL_TARGETS, Project
from dataprodukt.core.warehouse import Table, Warehouse

KEY_VARIABLE = "DATAPRODUKT_PSEUDONYM_KEY"
# what the macro computes, as a Datadoc pseudonymization block names it (macros/privacy/pseudonymize.sql)
ALGORITHM = "HMAC-SHA-256"
# the var naming the key in a Datadoc document: the key's reference (where it is kept), never the key
KEY_REFERENCE_VAR = "pseudonym_key_reference"
KEY_FILE = "pseudonym.key"
MIN_BYTES, MAX_BYTES = 32, 64
# the key table, as the macro pseudonym_key_relation names it
KEY_SCHEMA_VARIABLE, DEFAULT_KEY_SCHEMA, KEY_TABLE = "pseudonym_key_schema", "pseudonymisering", "nokkel"
PAD_COLUMNS = ("ipad", "opad")
BLOCK = 64  # SHA-256's block size in bytes: the key is padded to it


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


def key_table(project: Project) -> Table:
    schema = str(project.variables.get(KEY_SCHEMA_VARIABLE) or DEFAULT_KEY_SCHEMA)
    return Table(schema, KEY_TABLE, tuple((name, "text") for name in PAD_COLUMNS))


def pads(key: str) -> tuple[str, str]:
    """HMAC's inner and outer pads of ``key`` (RFC 2104: the key padded to 64 bytes, XOR 0x36 and XOR 0x5c), hex."""
    padded = key.encode("utf-8").ljust(BLOCK, b"\0")
    return bytes(byte ^ 0x36 for byte in padded).hex(), bytes(byte ^ 0x5C for byte in padded).hex()


def current_key(project: Project, users: list[str]) -> str:
    """The key for this run (a local target's development key when none is set), checked; ``users`` are the models
    that pseudonymise (named in the errors)."""
    ensure_key(project.target, project.build_dir)
    key = os.environ.get(KEY_VARIABLE, "")
    who = ", ".join(users[:5]) + (" ..." if len(users) > 5 else "")
    if not key:
        raise UserError(
            f"{KEY_VARIABLE} is not set, and {who} pseudonymise with it: set it from the secret store (in GitHub "
            f"Actions the repository secret {KEY_VARIABLE}, see docs/ci.md); the local targets make a development "
            "key by themselves"
        )
    size = len(key.encode("utf-8"))
    if not MIN_BYTES <= size <= MAX_BYTES:
        raise UserError(
            f"the key in {KEY_VARIABLE} is {size} bytes long ({who} pseudonymise with it): use a random key of "
            f"{MIN_BYTES} to {MAX_BYTES} characters (e.g. `openssl rand -hex 32`)"
        )
    return key


def load(warehouse: Warehouse, project: Project, users: list[str]) -> Table:
    """Fill the key table with this run's key (its pads), replacing what it held; return the table."""
    ipad, opad = pads(current_key(project, users))
    table = key_table(project)
    warehouse.load_rows(table, [dict(zip(PAD_COLUMNS, (ipad, opad), strict=True))])
    return table
