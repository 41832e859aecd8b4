"""A PostgreSQL server for the tests, for real.

Order of preference:
1. the server the standard ``PG*`` environment variables name (PGHOST set): used as it is;
2. the machine's installed cluster (Debian's ``pg_ctlcluster``), started if it is down;
3. a throwaway cluster under ``build/postgres`` (initdb run as the ``postgres`` OS user, since initdb refuses root).
For 2 and 3 a login role of this checkout (``dataprodukt_test_<hash of its path>``) with a generated password is
created (TCP logins need a password here); the password lives in ``build/postgres/password`` (mode 0600), never in
the repository.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dataprodukt.core import filelock

# one role per checkout: two clones testing on one machine never reset each other's password
ROLE = "dataprodukt_test_" + hashlib.sha1(str(Path(__file__).resolve().parents[2]).encode()).hexdigest()[:8]


class PostgresUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str
    maintenance_db: str

    def env(self, database: str) -> dict[str, str]:
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": database,
        }

    def connect(self, database: str | None = None):  # type: ignore[no-untyped-def]
        import psycopg2

        connection = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.maintenance_db,
            connect_timeout=5,
        )
        connection.autocommit = True
        return connection


def connect(env: dict[str, str]):  # type: ignore[no-untyped-def]
    """A connection to the database the PG* variables in `env` name (as a test's pg_env gives them)."""
    import psycopg2

    return psycopg2.connect(
        host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env["PGPASSWORD"], dbname=env["PGDATABASE"]
    )


def warehouse(env: dict[str, str]):  # type: ignore[no-untyped-def]
    """The loader's PostgresWarehouse on the database the PG* variables in `env` name (as a test's pg_env)."""
    from types import SimpleNamespace

    from dataprodukt.core.warehouse import PostgresWarehouse

    credentials = SimpleNamespace(
        host=env["PGHOST"],
        port=int(env["PGPORT"]),
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        database=env["PGDATABASE"],
        connect_timeout=5,
    )
    return PostgresWarehouse(credentials)


def _run(command: list[str], as_postgres: bool = False) -> subprocess.CompletedProcess[str]:
    if as_postgres and os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _can_connect(server: Server) -> str | None:
    try:
        server.connect().close()
    except Exception as error:
        return " ".join(str(error).split())
    return None


def _psql_as_postgres(sql: str, port: int, socket_dir: str | None = None) -> None:
    command = ["psql", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", "postgres", "-c", sql]
    if socket_dir:
        command[1:1] = ["-h", socket_dir]
    result = _run(command, as_postgres=True)
    if result.returncode != 0:
        raise PostgresUnavailable(f"psql as postgres failed: {result.stderr.strip()}")


def _password(state_dir: Path) -> str:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "password"
    if not path.is_file():
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _ensure_role(password: str, port: int, socket_dir: str | None = None) -> None:
    escaped = password.replace("'", "''")
    _psql_as_postgres(
        "do $$ begin "
        f"if not exists (select from pg_roles where rolname = '{ROLE}') then "
        f"create role {ROLE} login createdb password '{escaped}'; "
        f"else alter role {ROLE} login createdb password '{escaped}'; end if; end $$;",
        port,
        socket_dir,
    )


def _installed_cluster() -> tuple[str, str, int, str] | None:
    if not shutil.which("pg_lsclusters"):
        return None
    listing = _run(["pg_lsclusters", "--no-header"]).stdout.split("\n")
    for line in listing:
        fields = line.split()
        if len(fields) >= 4:
            return fields[0], fields[1], int(fields[2]), fields[3]
    return None


def _start_installed(version: str, name: str) -> None:
    result = _run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"])
    output = result.stdout + result.stderr
    if result.returncode != 0 and "already running" not in output:
        raise PostgresUnavailable(f"pg_ctlcluster {version} {name} start failed: {output.strip()}")


def _throwaway_cluster(state_dir: Path) -> int:
    """initdb + pg_ctl start under build/postgres, owned by the postgres OS user."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not binaries:
        raise PostgresUnavailable("no PostgreSQL installed: apt-get install postgresql (as .ci/run does)")
    bin_dir = binaries[-1].parent
    data = state_dir / "data"
    port = 55432
    if os.geteuid() == 0:
        shutil.chown(state_dir, "postgres")
    if not (data / "PG_VERSION").is_file():
        result = _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "scram-sha-256", "--auth-local=peer"], True)
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {result.stderr.strip()}")
    options = f"-p {port} -k {state_dir} -c listen_addresses=127.0.0.1"
    result = _run(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(state_dir / "log"), "-w", "start"], True
    )
    if result.returncode != 0 and "another server might be running" not in result.stderr:
        raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()}")
    return port


def ensure_server(state_dir: Path) -> Server:
    """Return a reachable server with a role that may create databases, or raise PostgresUnavailable."""
    if os.environ.get("PGHOST"):
        server = Server(
            os.environ["PGHOST"],
            int(os.environ.get("PGPORT", "5432")),
            os.environ.get("PGUSER", ROLE),
            os.environ.get("PGPASSWORD", ""),
            os.environ.get("PGDATABASE", "postgres"),
        )
        reason = _can_connect(server)
        if reason:
            raise PostgresUnavailable(f"PGHOST={server.host} is set but can't be reached: {reason}")
        return server
    # parallel test workers take turns: one starts the cluster and sets the role's password, the others reuse them
    with filelock.exclusive(state_dir.parent / "postgres.lock"):
        return _ensure_local_server(state_dir)


def _ensure_local_server(state_dir: Path) -> Server:
    password = _password(state_dir)
    cluster = _installed_cluster()
    socket_dir = None
    if cluster:
        version, name, port, status = cluster
        if status != "online":
            _start_installed(version, name)
    else:
        port = _throwaway_cluster(state_dir)
        socket_dir = str(state_dir)
    for _ in range(30):
        try:
            _ensure_role(password, port, socket_dir)
            break
        except PostgresUnavailable:
            time.sleep(0.5)
    else:
        _ensure_role(password, port, socket_dir)
    server = Server("127.0.0.1", port, ROLE, password, "postgres")
    reason = _can_connect(server)
    if reason:
        raise PostgresUnavailable(f"the local server on port {port} can't be reached: {reason}")
    return server


def create_database(server: Server, name: str) -> str:
    connection = server.connect()
    with connection.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}" with (force)')
        cursor.execute(f'create database "{name}"')
    connection.close()
    return name


def drop_database(server: Server, name: str) -> None:
    connection = server.connect()
    with connection.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}" with (force)')
    connection.close()
