"""A table or query in a PostgreSQL database (``kind: postgres``), read in bulk with COPY.

```yaml
    meta:
      loader: {kind: postgres, connection: FOLKEREG}    # FOLKEREG_PGHOST, _PGPORT, _PGDATABASE, _PGUSER, _PGPASSWORD
    tables:
      - name: personer
        meta:
          loader: {table: folkeregister.personer}      # or query: "select ... from ..."
```

Each run reads the table's columns first (a missing table, a missing or extra column stops the run, naming them,
before anything is written), then copies every row out with ``COPY (select ...) TO STDOUT`` into a CSV file under
``build/`` that the warehouse loads in bulk like any extract; the file is removed once loaded. What was read is one
delivery: named by its ``delivered_at`` time when the YAML gives one (recorded once per time), else by the time it
was read, and skipped when its content is the same as the delivery last recorded from this source.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.provenance import now
from dataprodukt.core.warehouse import RawFile
from dataprodukt.load.sources.source_table import Delivery, Found, Intake, SourceTable, time_name

VARIABLES = ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")


def deliveries(intake: Intake, tables: list[SourceTable]) -> Found:
    found = Found()
    by_source: dict[str, list[SourceTable]] = {}
    for table in tables:
        by_source.setdefault(table.source, []).append(table)
    for source, members in sorted(by_source.items()):
        origin = f"postgres:{source}"
        found.counts[origin] = 1
        try:
            delivery = _read(intake, origin, members)
        except UserError as error:
            found.problems.append(str(error))
            continue
        if delivery is not None:
            found.pending.append(delivery)
    return found


def connect(table: SourceTable) -> Any:
    """A connection to the source's database, from the environment variables its ``connection`` prefix names."""
    import psycopg2

    prefix = str(table.setting("connection"))
    values = {name: os.environ.get(f"{prefix}_{name}", "") for name in VARIABLES}
    missing = [f"{prefix}_{name}" for name in ("PGHOST", "PGDATABASE", "PGUSER") if not values[name]]
    if missing:
        raise UserError(
            f"source {table.source} ({table.yaml_path}): set the environment variable(s) {', '.join(missing)} "
            f"(meta.loader.connection: {prefix}; the password in {prefix}_PGPASSWORD)"
        )
    where = f"{values['PGHOST']}:{values['PGPORT'] or 5432}"
    try:
        return psycopg2.connect(
            host=values["PGHOST"],
            port=int(values["PGPORT"] or 5432),
            dbname=values["PGDATABASE"],
            user=values["PGUSER"],
            password=values["PGPASSWORD"] or None,
            connect_timeout=10,
            application_name="dataprodukt load",
        )
    except psycopg2.OperationalError as error:
        reason = " ".join(str(error).split())[:300]
        raise UserError(
            f"source {table.source} ({table.yaml_path}): can't reach PostgreSQL at {where} as {values['PGUSER']} "
            f"(database {values['PGDATABASE']}): {reason}. Check {prefix}_PGHOST/_PGPORT/_PGUSER/_PGPASSWORD/"
            "_PGDATABASE and that the server lets this machine in"
        ) from error


def relation(table: SourceTable) -> str:
    """The SQL the table is read from: its query, or its (schema-qualified) name, quoted."""
    query = table.setting("query")
    if query:
        return f"({query}) as kilde"
    return ".".join('"' + part.replace('"', '""') + '"' for part in str(table.setting("table", table.name)).split("."))


def columns(cursor: Any, table: SourceTable) -> list[str]:
    """The columns the source delivers, in its order; a table that doesn't exist is named with what exists."""
    import psycopg2

    try:
        cursor.execute(f"select * from {relation(table)} limit 0")
    except psycopg2.Error as error:
        cursor.connection.rollback()
        reason = " ".join(str(error).split())[:300]
        if table.setting("query"):
            raise UserError(f"source {table.label} ({table.yaml_path}): its query fails: {reason}") from error
        name = str(table.setting("table", table.name))
        schema = name.split(".")[0] if "." in name else "public"
        cursor.execute(
            "select table_name from information_schema.tables where table_schema = %s order by 1 limit 20", [schema]
        )
        held = ", ".join(row[0] for row in cursor.fetchall()) or "no tables"
        raise UserError(
            f"source {table.label} ({table.yaml_path}): table {name} doesn't exist in database "
            f"{cursor.connection.info.dbname} on {cursor.connection.info.host} (schema {schema} holds {held}): "
            "fix meta.loader.table, or ask for access to it"
        ) from error
    return [str(column[0]) for column in cursor.description]


def _read(intake: Intake, origin: str, tables: list[SourceTable]) -> Delivery | None:
    connection = connect(tables[0])
    folder = intake.scratch / tables[0].source / now().strftime("%Y%m%dT%H%M%S%f")
    try:
        with connection.cursor() as cursor:
            found = {table.identifier: columns(cursor, table) for table in tables}
            problems = [problem for table in tables for problem in _column_problems(table, found[table.identifier])]
            if problems:
                raise UserError("; ".join(problems))
            delivered_at = _delivered_at(cursor, tables)
        name = time_name(delivered_at) if delivered_at else None
        if name and (origin, name) in intake.done:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        digest = hashlib.sha256()
        for table in tables:
            path = folder / f"{table.identifier}.csv"
            copy_out(connection, table, found[table.identifier], path)
            digest.update(table.identifier.encode())
            digest.update(path.read_bytes())
            files[table.identifier] = RawFile(path, tuple(found[table.identifier]))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        connection.close()
    fingerprint = digest.hexdigest()
    if name is None and intake.last_fingerprint(origin) == fingerprint:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Delivery(
        origin,
        name or time_name(now()),
        tables,
        files,
        fingerprint,
        delivered_at,
        cleanup=lambda: shutil.rmtree(folder, ignore_errors=True),
    )


def copy_out(connection: Any, table: SourceTable, names: list[str], path: Path) -> None:
    """Every row of the table (or query) into a UTF-8 CSV file with a header, in bulk (COPY ... TO STDOUT)."""
    quoted = ", ".join('"' + column.replace('"', '""') + '"' for column in names)
    copy = f"copy (select {quoted} from {relation(table)}) to stdout with (format csv, header true)"
    with path.open("w", encoding="utf-8", newline="") as handle, connection.cursor() as cursor:
        cursor.copy_expert(copy, handle)


def _column_problems(table: SourceTable, delivered: list[str]) -> list[str]:
    names = [name.upper() for name in delivered]
    where = f"source {table.label}: {relation(table)}"
    problems = [
        f"{where}: column {column} is missing; {table.yaml_path} declares it: fix the source or the YAML"
        for column in table.columns
        if column not in names
    ]
    problems += [
        f"{where}: column {column} is not declared in {table.yaml_path}: declare it (and stage it), or leave it out "
        "of the query"
        for column in names
        if column not in table.columns
    ]
    return problems


def _delivered_at(cursor: Any, tables: list[SourceTable]) -> datetime | None:
    """The source's own delivery time (its ``delivered_at`` SQL), the newest over its tables."""
    times = []
    for table in tables:
        expression = table.setting("delivered_at")
        if not expression:
            continue
        cursor.execute(f"select {expression} from {relation(table)}")
        value = cursor.fetchone()[0]
        if value is not None:
            times.append(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))
    if not times:
        return None
    newest = max(time if time.tzinfo else time.replace(tzinfo=UTC) for time in times)
    return newest.astimezone(UTC)
