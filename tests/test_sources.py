"""Sources where they live (load/sources/): a folder of CSV or parquet deliveries, a PostgreSQL table or query, a
table read in place; each checked against its declared columns before anything is written, loaded in bulk, and
recorded once per delivery. Bad input is one line naming the file or table, the column and line, and what to do.

These drive the loader's own functions (find, load, record) on DuckDB and the local PostgreSQL, without dbt: the
source tables are what `declared()` reads from a manifest, written here as they would be parsed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.core.warehouse import DuckDBWarehouse
from dataprodukt.load import loader
from dataprodukt.load.sources import find
from dataprodukt.load.sources.source_table import Found, Intake, SourceTable, declared
from tests.support import postgres

COLUMNS = ("ARBEIDSFORHOLD_ID", "FNR", "STARTDATO", "YRKE")
HEADER = "arbeidsforhold_id;fnr;startdato;yrke"
ROWS = ["1;01017012345;01.02.2024;Sjåfør", "2;02027012345;15.03.2024;Lærer"]
YAML = "models/staging/ameld/_ameld__sources.yml"


def _table(**settings: Any) -> SourceTable:
    loader_settings = {"kind": "files", "folder": "extracts/ameld", "delimiter": ";", "encoding": "latin-1"}
    return SourceTable(
        source="ameld",
        name="arbeidsforhold",
        identifier="arbeidsforhold",
        database=None,
        schema="raw",
        columns=COLUMNS,
        yaml_path=YAML,
        settings={**loader_settings, **settings},
        formats={"STARTDATO": "%d.%m.%Y"},
    )


def _deliver(
    root: Path, name: str, lines: list[str], encoding: str = "latin-1", file: str = "arbeidsforhold.csv"
) -> Path:
    path = root / "extracts" / "ameld" / name / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _find(root: Path, warehouse: Any, tables: list[SourceTable]) -> Found:
    intake = Intake(root, root / "build" / "uttrekk", loader.loaded(warehouse), warehouse)
    return find(intake, tables)


@pytest.fixture
def warehouse(tmp_path: Path) -> Any:
    opened = DuckDBWarehouse(tmp_path / "build" / "w.duckdb")
    yield opened
    opened.connection.close()


def test_deliveries_of_semicolon_latin1_extracts_load_in_bulk_and_are_recorded_once(
    tmp_path: Path, warehouse: Any
) -> None:
    table = _table()
    _deliver(tmp_path, "2025-03-31", [HEADER, *ROWS])
    _deliver(tmp_path, "2025-06-30", [HEADER, ROWS[0], "2;02027012345;15.03.2024;Økonom", "3;03037012345;;Lege"])

    found = _find(tmp_path, warehouse, [table])
    assert found.problems == []
    assert [(d.origin, d.name, d.delivered_at) for d in found.pending] == [
        ("extracts/ameld", "2025-03-31", datetime(2025, 3, 31, tzinfo=UTC)),
        ("extracts/ameld", "2025-06-30", datetime(2025, 6, 30, tzinfo=UTC)),
    ]
    first, second = found.pending
    assert loader.load(warehouse, first) == {"arbeidsforhold": 2}
    assert warehouse.query("select yrke from raw.arbeidsforhold order by 1") == [("Lærer",), ("Sjåfør",)]
    loader.record(warehouse, first, {"arbeidsforhold": 2})

    # the first is in the log: only the second is pending, and loading it replaces the raw table
    again = _find(tmp_path, warehouse, [table])
    assert [delivery.name for delivery in again.pending] == ["2025-06-30"]
    assert loader.load(warehouse, second) == {"arbeidsforhold": 3}
    assert warehouse.query("select yrke from raw.arbeidsforhold order by 1") == [("Lege",), ("Sjåfør",), ("Økonom",)]
    loader.record(warehouse, second, {"arbeidsforhold": 3})
    logged = warehouse.query("select origin, batch, delivered_at from raw.lastelogg order by batch")
    assert logged == [
        ("extracts/ameld", "2025-03-31", "2025-03-31 00:00:00"),
        ("extracts/ameld", "2025-06-30", "2025-06-30 00:00:00"),
    ]
    assert _find(tmp_path, warehouse, [table]).pending == []

    # a recorded delivery whose files changed since is refused: history is never rewritten
    _deliver(tmp_path, "2025-03-31", [HEADER, ROWS[0]])
    problems = _find(tmp_path, warehouse, [table]).problems
    assert len(problems) == 1 and "differs from the 2025-03-31 already loaded into history" in problems[0]


def test_a_folder_of_parquet_deliveries_loads(tmp_path: Path, warehouse: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _table(format="parquet", delimiter=None, encoding=None)
    path = tmp_path / "extracts" / "ameld" / "2025-03-31" / "arbeidsforhold.parquet"
    path.parent.mkdir(parents=True)
    data = {"arbeidsforhold_id": [1, 2], "fnr": ["01017012345", "02027012345"], "startdato": ["x", "y"]}
    pq.write_table(pa.table({**data, "yrke": ["Sjåfør", "Lærer"]}), path)

    found = _find(tmp_path, warehouse, [table])
    assert found.problems == []
    assert loader.load(warehouse, found.pending[0]) == {"arbeidsforhold": 2}
    assert warehouse.query("select arbeidsforhold_id, yrke from raw.arbeidsforhold order by 1") == [
        (1, "Sjåfør"),
        (2, "Lærer"),
    ]
    pq.write_table(pa.table(data), path)  # a column missing: named, nothing pending
    problems = _find(tmp_path, warehouse, [table]).problems
    assert problems == [
        f"{path}: column YRKE is missing; {YAML} declares it for ameld.arbeidsforhold: fix the file or the source YAML"
    ]


# (what the delivery holds, encoding written, settings changed) -> the one line it gives
BAD_FILES = [
    (
        "another delimiter",
        [HEADER.replace(";", ","), *(row.replace(";", ",") for row in ROWS)],
        "latin-1",
        {},
        "2025-03-31/arbeidsforhold.csv: the header is one column 'arbeidsforhold_id,fnr,startdato,yrke': the file "
        "looks ','-separated, but models/staging/ameld/_ameld__sources.yml declares delimiter ';' for "
        "ameld.arbeidsforhold: set meta.loader.delimiter",
    ),
    (
        "Latin-1 declared as UTF-8",
        [HEADER, *ROWS],
        "latin-1",
        {"encoding": "utf-8"},
        "2025-03-31/arbeidsforhold.csv: line 2: byte 0xE5 is not utf-8 (models/staging/ameld/_ameld__sources.yml "
        "declares encoding utf-8 for ameld.arbeidsforhold): set meta.loader.encoding",
    ),
    (
        "UTF-8 declared as Latin-1",
        [HEADER, *ROWS],
        "utf-8",
        {},
        "2025-03-31/arbeidsforhold.csv: the file is UTF-8, but models/staging/ameld/_ameld__sources.yml declares "
        "encoding latin-1",
    ),
    (
        "a missing column",
        ["arbeidsforhold_id;fnr;startdato", "1;01017012345;01.02.2024"],
        "latin-1",
        {},
        "2025-03-31/arbeidsforhold.csv: column YRKE is missing; models/staging/ameld/_ameld__sources.yml declares it "
        "for ameld.arbeidsforhold: fix the file or the source YAML",
    ),
    (
        "an extra column",
        [HEADER + ";ekstra", *(row + ";x" for row in ROWS)],
        "latin-1",
        {},
        "2025-03-31/arbeidsforhold.csv: column EKSTRA is not declared for ameld.arbeidsforhold in "
        "models/staging/ameld/_ameld__sources.yml: declare it there",
    ),
    (
        "a date in the wrong format",
        [HEADER, ROWS[0], "2;02027012345;2024-03-15;Lærer"],
        "latin-1",
        {},
        "2025-03-31/arbeidsforhold.csv: line 3, column STARTDATO: '2024-03-15' is not a date in the declared format "
        "'%d.%m.%Y'",
    ),
    (
        "a row with a field too many",
        [HEADER, ROWS[0], "2;02027012345;15.03.2024;Lærer;lektor"],
        "latin-1",
        {},
        "2025-03-31/arbeidsforhold.csv: line 3 has 5 fields, not 4",
    ),
]


@pytest.mark.parametrize(("case", "lines", "encoding", "settings", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_extract_is_one_line_naming_file_column_and_line_and_nothing_is_pending(
    tmp_path: Path, warehouse: Any, case: str, lines: list[str], encoding: str, settings: dict[str, str], message: str
) -> None:
    _deliver(tmp_path, "2025-03-31", lines, encoding)
    found = _find(tmp_path, warehouse, [_table(**settings)])
    assert len(found.problems) == 1, found.problems
    assert message in found.problems[0] and "\n" not in found.problems[0], found.problems[0]
    assert found.pending == []
    assert warehouse.relation_columns("raw", "arbeidsforhold") == []


def test_a_delivery_without_the_tables_file_is_named(tmp_path: Path, warehouse: Any) -> None:
    _deliver(tmp_path, "2025-03-31", [HEADER, *ROWS], file="annet.csv")
    (problem,) = _find(tmp_path, warehouse, [_table()]).problems
    assert "2025-03-31/arbeidsforhold.csv: file missing for source table ameld.arbeidsforhold" in problem


def test_a_loader_setting_the_loader_cannot_use_names_the_yaml() -> None:
    node = {
        "unique_id": "source.p.ameld.arbeidsforhold",
        "source_name": "ameld",
        "name": "arbeidsforhold",
        "schema": "raw",
        "original_file_path": YAML,
        "columns": {},
        "source_meta": {"loader": {"kind": "files", "folder": "x", "delimter": ";"}},
        "meta": {},
    }
    with pytest.raises(Exception, match=r"source ameld, table arbeidsforhold: meta.loader: unknown setting 'delimter'"):
        declared({"s": node})


def _pg_table(prefix: str, **settings: str) -> SourceTable:
    return SourceTable(
        source="folkereg",
        name="personer",
        identifier="personer",
        database=None,
        schema="raw",
        columns=("FNR", "KOMMUNE", "ENDRET"),
        yaml_path="models/staging/folkereg/_folkereg__sources.yml",
        settings={"kind": "postgres", "connection": prefix, **settings},
    )


def test_an_unreachable_database_is_named_with_what_to_check(
    tmp_path: Path, warehouse: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEDE_PGHOST", "127.0.0.1")
    monkeypatch.setenv("NEDE_PGPORT", "1")
    monkeypatch.setenv("NEDE_PGDATABASE", "folkereg")
    monkeypatch.setenv("NEDE_PGUSER", "leser")
    (problem,) = _find(tmp_path, warehouse, [_pg_table("NEDE")]).problems
    assert problem.startswith(
        "source folkereg (models/staging/folkereg/_folkereg__sources.yml): can't reach PostgreSQL at 127.0.0.1:1 as "
        "leser (database folkereg)"
    )
    assert "Check NEDE_PGHOST/_PGPORT/_PGUSER/_PGPASSWORD/_PGDATABASE" in problem
    monkeypatch.delenv("NEDE_PGUSER")
    (problem,) = _find(tmp_path, warehouse, [_pg_table("NEDE")]).problems
    assert "set the environment variable(s) NEDE_PGUSER (meta.loader.connection: NEDE" in problem


def test_a_folder_delivery_is_dated_as_history_dates_it_by_its_manifest_then_its_name(
    tmp_path: Path, warehouse: Any
) -> None:
    # the one rule history uses (load/deliveries.py): delivery.json first, then a time-like name, else the load time
    manifest = _deliver(tmp_path, "batch_000", [HEADER, *ROWS]).parent / "delivery.json"
    manifest.write_text('{"delivered_at": "2025-01-06T08:00:00+02:00"}', encoding="utf-8")
    _deliver(tmp_path, "2025-02-28T06-00", [HEADER, *ROWS])
    _deliver(tmp_path, "batch_001", [HEADER, *ROWS])
    _deliver(tmp_path, "2025-13-45", [HEADER, *ROWS])

    found = _find(tmp_path, warehouse, [_table()])
    dated = {d.name: (d.delivered_at, d.stated_by) for d in found.pending}
    assert dated == {
        "batch_000": (datetime(2025, 1, 6, 6, tzinfo=UTC), "delivery.json"),
        "2025-02-28T06-00": (datetime(2025, 2, 28, 6, tzinfo=UTC), "folder name"),
        "batch_001": (None, "load time"),
    }
    (problem,) = found.problems
    assert "2025-13-45: the folder name '2025-13-45' is not a delivery time" in problem


@pytest.mark.postgres
def test_a_postgresql_table_is_read_in_bulk_checked_and_recorded_once_per_delivery(
    tmp_path: Path, warehouse: Any, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in pg_env.items():
        monkeypatch.setenv(f"FOLKEREG_{name}", value)
    with postgres.connect(pg_env) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema folkereg; create table folkereg.personer (fnr text, kommune text, endret timestamp);"
            "insert into folkereg.personer values ('01017012345', 'Tromsø', '2025-03-30 12:00'),"
            "('02027012345', 'Bodø', '2025-03-31 08:00')"
        )
    table = _pg_table("FOLKEREG", table="folkereg.personer", delivered_at="max(endret)")

    found = _find(tmp_path, warehouse, [table])
    assert found.problems == []
    (delivery,) = found.pending
    assert (delivery.origin, delivery.name) == ("postgres:folkereg", "2025-03-31T08-00-00")
    assert delivery.delivered_at == datetime(2025, 3, 31, 8, tzinfo=UTC)
    assert loader.load(warehouse, delivery) == {"personer": 2}
    delivery.done()
    assert warehouse.query("select kommune from raw.personer order by 1") == [("Bodø",), ("Tromsø",)]
    loader.record(warehouse, delivery, {"personer": 2})
    assert not (tmp_path / "build" / "uttrekk" / "folkereg").exists() or not any(
        (tmp_path / "build" / "uttrekk" / "folkereg").rglob("*.csv")
    )
    # the same delivery time again: already recorded, nothing pending
    assert _find(tmp_path, warehouse, [table]).pending == []

    # a query, and a table that doesn't exist / a column the YAML doesn't declare: named, nothing pending
    query = _pg_table("FOLKEREG", query="select fnr, kommune, endret, 1 as ekstra from folkereg.personer")
    (problem,) = _find(tmp_path, warehouse, [query]).problems
    assert "column EKSTRA is not declared in models/staging/folkereg/_folkereg__sources.yml" in problem
    missing = _pg_table("FOLKEREG", table="folkereg.personar")
    (problem,) = _find(tmp_path, warehouse, [missing]).problems
    assert "table folkereg.personar doesn't exist in database" in problem
    assert "(schema folkereg holds personer): fix meta.loader.table" in problem


def test_the_examples_generator_never_touches_extracts_it_did_not_write(tmp_path: Path) -> None:
    from dataprodukt.core.errors import UserError
    from dataprodukt.load.example_extracts import write_example

    mine = tmp_path / "raw" / "batch_000" / "mine.csv"
    mine.parent.mkdir(parents=True)
    mine.write_text("id\n1\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"holds files the generator did not write \(batch_000\): they are never"):
        write_example(tmp_path / "raw", rows=100, batches=1)
    assert mine.read_text(encoding="utf-8") == "id\n1\n" and sorted((tmp_path / "raw").rglob("*")) == [
        mine.parent,
        mine,
    ]


def test_a_table_in_the_warehouse_is_read_in_place_and_recorded_once_per_delivery_time(
    tmp_path: Path, warehouse: Any
) -> None:
    warehouse.execute("create schema skatt_delt")
    warehouse.execute("create table skatt_delt.inntekt (fnr varchar, belop bigint, lastet_tid timestamp)")
    warehouse.execute("insert into skatt_delt.inntekt values ('01017012345', 500000, '2025-04-01 06:00')")
    table = SourceTable(
        source="skatt",
        name="inntekt",
        identifier="inntekt",
        database=None,
        schema="skatt_delt",
        columns=("FNR", "BELOP", "LASTET_TID"),
        yaml_path="models/staging/skatt/_skatt__sources.yml",
        settings={"kind": "warehouse", "delivered_at": "max(lastet_tid)"},
    )

    (delivery,) = _find(tmp_path, warehouse, [table]).pending
    assert (delivery.origin, delivery.name, delivery.files) == ("warehouse:skatt.inntekt", "2025-04-01T06-00-00", {})
    assert loader.load(warehouse, delivery) == {"inntekt": 1}
    assert warehouse.relation_columns("raw", "inntekt") == []  # never copied
    loader.record(warehouse, delivery, {"inntekt": 1})
    assert _find(tmp_path, warehouse, [table]).pending == []  # the same delivery time: recorded once

    warehouse.execute("alter table skatt_delt.inntekt add column kommune varchar")
    (problem,) = _find(tmp_path, warehouse, [table]).problems
    assert problem == (
        "source skatt.inntekt: skatt_delt.inntekt has column KOMMUNE, which models/staging/skatt/_skatt__sources.yml "
        "doesn't declare: declare it (and stage it)"
    )
    missing = SourceTable(**{**table.__dict__, "identifier": "inntekter"})
    (problem,) = _find(tmp_path, warehouse, [missing]).problems
    assert "no table skatt_delt.inntekter in the warehouse: fix the source's database/schema/identifier" in problem
