"""An extract file checked against its source table before anything is written: the encoding, the delimiter, the
header against the declared columns, every row's number of fields, and every value of a column declared with a
date format. Each problem is one line naming the file, the column and the line, and what to do.

The whole file is read once, streamed (pyarrow's CSV reader, a block at a time), so a large extract costs its
reading time and no more memory than a block. Date values are checked with DuckDB's ``try_strptime``, the parse the
staging macro ``parse_date`` compiles to on DuckDB (``31.02.2024`` is refused, ``1.2.2024`` accepted).
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from dataprodukt.core.warehouse import RawFile
from dataprodukt.load.sources.source_table import SourceTable

DELIMITERS = (",", ";", "\t", "|")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Checked:
    """A file that passed, ready to load, or the problems found in it."""

    file: RawFile | None
    problems: list[str]


def check_file(path: Path, table: SourceTable) -> Checked:
    """Check one extract of ``table``; a file with problems is never loaded."""
    if str(table.setting("format", "csv")) == "parquet":
        return _check_parquet(path, table)
    delimiter = str(table.setting("delimiter", ","))
    encoding = str(table.setting("encoding", "utf-8"))
    quote = str(table.setting("quote", '"'))
    header = bool(table.setting("header", True))
    try:
        codecs.lookup(encoding)
    except LookupError:
        return Checked(None, [f"{table.yaml_path}: source {table.label}: unknown encoding {encoding!r} in meta.loader"])
    problem = _encoding_problem(path, table, encoding)
    if problem:
        return Checked(None, [problem])
    first = _first_row(path, encoding, delimiter, quote)
    if first is None:
        return Checked(None, [f"{path}: empty file, expected {_columns_text(table)}"])
    columns = tuple(name.strip().lstrip("\ufeff") for name in first) if header else table.columns
    problems = _header_problems(path, table, columns, delimiter) if header else []
    if not header and len(first) != len(table.columns):
        problems.append(
            f"{path}: line 1 has {len(first)} fields, but {table.yaml_path} declares {len(table.columns)} columns for "
            f"{table.label} (a file without a header has them in the declared order): fix the file or the source YAML"
        )
    if problems:
        return Checked(None, problems)
    file = RawFile(path, columns, "csv", delimiter, encoding, header, quote)
    scanned = _scan_rows(file, table)
    return Checked(None if scanned else file, scanned)


def _columns_text(table: SourceTable) -> str:
    return f"a header with {', '.join(table.columns)} ({table.yaml_path})"


def _encoding_problem(path: Path, table: SourceTable, encoding: str) -> str | None:
    """The first byte the declared encoding can't read, by line; or a latin-1/cp1252 file that is really UTF-8."""
    decoder = codecs.getincrementaldecoder(encoding)()
    strict_utf8 = codecs.getincrementaldecoder("utf-8")()
    single_byte = codecs.lookup(encoding).name != "utf-8"
    utf8_ok, non_ascii = single_byte, False
    lines, offset = 0, 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line = lines + chunk[: error.start].count(b"\n") + 1
                byte = chunk[error.start : error.start + 1].hex().upper()
                return (
                    f"{path}: line {line}: byte 0x{byte} is not {encoding} ({table.yaml_path} declares "
                    f"encoding {encoding} for {table.label}): set meta.loader.encoding to the file's encoding "
                    "(registers often deliver latin-1), or ask for the extract in the declared one"
                )
            if utf8_ok:
                non_ascii = non_ascii or any(byte > 127 for byte in chunk)
                try:
                    strict_utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            lines += chunk.count(b"\n")
            offset += len(chunk)
    if single_byte and utf8_ok and non_ascii:
        return (
            f"{path}: the file is UTF-8, but {table.yaml_path} declares encoding {encoding} for {table.label} "
            "(read so, æ ø å would become two characters each): set meta.loader.encoding to utf-8, or ask for the "
            f"extract in {encoding}"
        )
    return None


def _first_row(path: Path, encoding: str, delimiter: str, quote: str) -> list[str] | None:
    with path.open(newline="", encoding=encoding) as handle:
        return next(csv.reader(handle, delimiter=delimiter, quotechar=quote), None)


def _header_problems(path: Path, table: SourceTable, header: tuple[str, ...], delimiter: str) -> list[str]:
    names = [name.upper() for name in header]
    if len(names) == 1 and table.columns and len(table.columns) > 1:
        found = [other for other in DELIMITERS if other != delimiter and other in header[0]]
        if found:
            shown = "TAB" if found[0] == "\t" else found[0]
            return [
                f"{path}: the header is one column {header[0][:60]!r}: the file looks {shown!r}-separated, but "
                f"{table.yaml_path} declares delimiter {delimiter!r} for {table.label}: set meta.loader.delimiter "
                "to the file's, or ask for the extract with the declared one"
            ]
    problems = []
    unexpected = [name for name in names if name not in table.columns]
    for column in table.columns:
        if column not in names:
            guess = get_close_matches(column, unexpected, n=1)
            hint = f" (found {guess[0]!r}: a misspelt column?)" if guess else ""
            problems.append(
                f"{path}: column {column} is missing{hint}; {table.yaml_path} declares it for {table.label}: "
                "fix the file or the source YAML"
            )
    for column in unexpected:
        if not get_close_matches(column, [c for c in table.columns if c not in names], n=1):
            problems.append(
                f"{path}: column {column} is not declared for {table.label} in {table.yaml_path}: declare it there "
                "(and in the staging model), or ask for the extract without it"
            )
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        problems.append(f"{path}: column {', '.join(twice)} appears twice in the header")
    return problems


def _scan_rows(file: RawFile, table: SourceTable) -> list[str]:
    """Every row's number of fields, and every value of a column with a declared format, in one streamed read."""
    import duckdb
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad_rows: list[Any] = []

    def invalid(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    names = [name.upper() for name in file.columns]
    dated = {name: table.formats[name] for name in names if name in table.formats}
    reader = pacsv.open_csv(
        file.path,
        read_options=pacsv.ReadOptions(
            encoding=file.encoding, column_names=names, skip_rows=1 if file.header else 0, use_threads=False
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=file.delimiter, quote_char=file.quote, newlines_in_values=True, invalid_row_handler=invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            include_columns=list(dated) or names[:1],
            strings_can_be_null=False,
        ),
    )
    problems: dict[str, str] = {}
    seen = 0
    connection = duckdb.connect()
    try:
        for batch in reader:
            if bad_rows:
                break
            for column, form in dated.items():
                found = None if column in problems else _bad_value(connection, batch.column(column), form)
                if found is not None:
                    index, value, count = found
                    line = seen + index + 1 + (1 if file.header else 0)
                    problems[column] = (
                        f"{file.path}: line {line}, column {column}: {value!r} is not a date in the declared format "
                        f"{form!r} ({count} such value(s) in the block read; {table.yaml_path} declares it for "
                        f"{table.label}): fix the extract, or the column's meta.format"
                    )
            seen += batch.num_rows
    finally:
        connection.close()
    if bad_rows:
        row = bad_rows[0]
        where = f"line {row.number}" if row.number is not None else "a row"
        return [
            f"{file.path}: {where} has {row.actual_columns} fields, not {row.expected_columns} "
            f"({row.text[:80]!r}; {len(bad_rows)} such row(s) seen): a value with the delimiter "
            f"{file.delimiter!r} in it must be quoted ({file.quote}); fix the extract"
        ]
    return list(problems.values())


def _bad_value(connection: Any, values: Any, form: str) -> tuple[int, str, int] | None:
    """The first value that is not empty and does not parse with ``form``, its index and how many such values."""
    import pyarrow as pa

    batch = pa.table({"i": pa.array(range(len(values)), pa.int64()), "verdi": values})  # noqa: F841 - read by name
    found = connection.execute(
        "select min(i), arg_min(verdi, i), count(*) from batch where verdi <> '' and try_strptime(verdi, ?) is null",
        [form],
    ).fetchone()
    if found is None or found[2] == 0:
        return None
    return int(found[0]), str(found[1]), int(found[2])


def _check_parquet(path: Path, table: SourceTable) -> Checked:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as error:
        return Checked(None, [f"{path}: can't be read as parquet ({' '.join(str(error).split())[:200]})"])
    columns = tuple(schema.names)
    problems = _header_problems(path, table, columns, "")
    return Checked(None if problems else RawFile(path, columns, "parquet"), problems)
