"""Sources where they live, on BigQuery (the emulator): a delivery of `;`-separated Latin-1 CSV and one of parquet
loaded in bulk by load jobs (BigQuery reads ISO-8859-1 itself), and a table in another dataset or another project
read in place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.load import loader
from dataprodukt.load.sources import find
from dataprodukt.load.sources.source_table import Found, Intake, SourceTable

pytestmark = pytest.mark.bigquery


def _table(schema: str, **settings: Any) -> SourceTable:
    return SourceTable(
        source="ameld",
        name="arbeidsforhold",
        identifier="arbeidsforhold",
        database=None,
        schema=schema,
        columns=("ARBEIDSFORHOLD_ID", "FNR", "YRKE"),
        yaml_path="models/staging/ameld/_ameld__sources.yml",
        settings=settings,
    )


def _find(root: Path, warehouse: Any, tables: list[SourceTable]) -> Found:
    return find(Intake(root, root / "uttrekk", {}, warehouse), tables)


def test_csv_and_parquet_deliveries_load_in_bulk(tmp_path: Path, bq_warehouse: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv = tmp_path / "csv" / "2025-03-31" / "arbeidsforhold.csv"
    csv.parent.mkdir(parents=True)
    csv.write_bytes("arbeidsforhold_id;fnr;yrke\n1;01017012345;Sjåfør\n2;02027012345;Lærer\n".encode("latin-1"))
    table = _table("raw_kilder_csv", kind="files", folder=str(csv.parent.parent), delimiter=";", encoding="latin-1")
    (delivery,) = _find(tmp_path, bq_warehouse, [table]).pending
    assert loader.load(bq_warehouse, delivery) == {"arbeidsforhold": 2}
    rows = bq_warehouse.query("select arbeidsforhold_id, yrke from raw_kilder_csv.arbeidsforhold order by 1")
    assert [tuple(row) for row in rows] == [("1", "Sjåfør"), ("2", "Lærer")]

    parquet = tmp_path / "parquet" / "2025-03-31" / "arbeidsforhold.parquet"
    parquet.parent.mkdir(parents=True)
    data = {"arbeidsforhold_id": ["1"], "fnr": ["01017012345"], "yrke": ["Økonom"]}
    pq.write_table(pa.table(data), parquet)
    table = _table("raw_kilder_parquet", kind="files", folder=str(parquet.parent.parent), format="parquet")
    (delivery,) = _find(tmp_path, bq_warehouse, [table]).pending
    assert loader.load(bq_warehouse, delivery) == {"arbeidsforhold": 1}
    rows = bq_warehouse.query("select yrke from raw_kilder_parquet.arbeidsforhold")
    assert [tuple(row) for row in rows] == [("Økonom",)]


def test_a_table_in_another_dataset_is_read_in_place(tmp_path: Path, bq_warehouse: Any) -> None:
    bq_warehouse.ensure_dataset("delt_av_andre")
    bq_warehouse.execute(
        "create or replace table delt_av_andre.arbeidsforhold as "
        "select '1' as arbeidsforhold_id, '01017012345' as fnr, 'Lege' as yrke"
    )
    table = _table("delt_av_andre", kind="warehouse")
    (delivery,) = _find(tmp_path, bq_warehouse, [table]).pending
    assert (delivery.origin, delivery.files, delivery.row_counts) == (
        "warehouse:ameld.arbeidsforhold",
        {},
        {"arbeidsforhold": 1},
    )
    missing = _table("delt_av_ingen", kind="warehouse")
    (problem,) = _find(tmp_path, bq_warehouse, [missing]).problems
    assert "no table delt_av_ingen.arbeidsforhold in the warehouse" in problem


def test_a_table_in_another_project_is_read_there_not_in_ours(tmp_path: Path, bq_warehouse: Any) -> None:
    """A dataset another team fills in its own Google Cloud project (the source's `database`), beside a table of the
    same name in ours: the check and the count read the other project's."""
    other = "annet-prosjekt"
    bq_warehouse.client.create_dataset(f"{other}.delt_av_andre", exists_ok=True)
    bq_warehouse.execute(
        f"create or replace table `{other}.delt_av_andre.arbeidsforhold` as "
        "select '1' as arbeidsforhold_id, '01017012345' as fnr, 'Lege' as yrke "
        "union all select '2', '02027012345', 'Lærer'"
    )
    bq_warehouse.ensure_dataset("delt_av_andre")
    bq_warehouse.execute("create or replace table delt_av_andre.arbeidsforhold as select '1' as arbeidsforhold_id")
    table = replace(_table("delt_av_andre", kind="warehouse"), database=other)
    (delivery,) = _find(tmp_path, bq_warehouse, [table]).pending
    assert (delivery.origin, delivery.row_counts) == ("warehouse:ameld.arbeidsforhold", {"arbeidsforhold": 2})
    ours = replace(table, database=bq_warehouse.project)
    (problem, *_) = _find(tmp_path, bq_warehouse, [ours]).problems
    assert f"{bq_warehouse.project}.delt_av_andre.arbeidsforhold has no column FNR" in problem
