"""The synthetic raw extracts: deterministic, shaped like the source systems, and with changes to record."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dataprodukt.core.errors import UserError
from dataprodukt.load.generator import TABLES, generate, list_batches


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    generate(folder, rows=3000, batches=3)
    return folder


def read(raw: Path, batch: int, table: str) -> pd.DataFrame:
    return pd.read_csv(raw / f"batch_{batch:03d}" / f"{table}.csv", dtype=str, keep_default_na=False)


def test_same_arguments_give_identical_files(raw: Path, tmp_path: Path) -> None:
    generate(tmp_path, rows=3000, batches=3)
    for folder in list_batches(raw):
        for table in TABLES:
            assert (folder / f"{table}.csv").read_bytes() == (tmp_path / folder.name / f"{table}.csv").read_bytes()


def test_columns_are_upper_case_text_as_delivered(raw: Path) -> None:
    for table, columns in TABLES.items():
        frame = read(raw, 0, table)
        assert tuple(frame.columns) == columns
    certificates = read(raw, 0, "sykmeldinger")
    assert certificates.FNR.str.fullmatch(r"\d{11}").all()
    assert certificates.FOM_DATO.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert certificates.ENDRET_TID.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    assert set(certificates.SYKM_GRAD.astype(int)) <= {20, 40, 50, 60, 80, 100}
    assert certificates.SYKMELDING_ID.is_unique


def test_certificates_of_one_employment_never_overlap(raw: Path) -> None:
    certificates = read(raw, 3, "sykmeldinger")
    certificates = certificates.sort_values(["FNR", "ORGNR", "FOM_DATO"])
    previous_end = certificates.groupby(["FNR", "ORGNR"]).TOM_DATO.shift()
    assert (previous_end.isna() | (previous_end < certificates.FOM_DATO)).all()
    assert (certificates.FOM_DATO <= certificates.TOM_DATO).all()


def test_change_batches_update_delete_reinsert_and_arrive_late(raw: Path) -> None:
    summaries = [json.loads((folder / "batch.json").read_text()) for folder in list_batches(raw)]
    assert [summary["batch"] for summary in summaries] == [0, 1, 2, 3]
    changes = summaries[2]["changes"]["sykmeldinger"]
    assert changes["updated"] > 0 and changes["deleted"] > 0 and changes["reinserted"] > 0
    assert changes["late_arrivals"] > 0

    first, second = read(raw, 0, "sykmeldinger"), read(raw, 1, "sykmeldinger")
    gone = set(first.SYKMELDING_ID) - set(second.SYKMELDING_ID)
    assert len(gone) == summaries[1]["changes"]["sykmeldinger"]["deleted"]
    merged = first.merge(second, on="SYKMELDING_ID", suffixes=("_0", "_1"))
    changed = merged[(merged.TOM_DATO_0 != merged.TOM_DATO_1) | (merged.SYKM_GRAD_0 != merged.SYKM_GRAD_1)]
    assert len(changed) > 0
    assert (changed.ENDRET_TID_1 > changed.ENDRET_TID_0).all(), "an update moves the last-changed time forward"
    late = second[~second.SYKMELDING_ID.isin(first.SYKMELDING_ID)]
    assert (late.FOM_DATO < "2025-01-01").all(), "late arrivals are about last year"


def test_too_few_rows_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--rows 10 is too small: give at least 100 certificate rows"):
        generate(tmp_path, rows=10)
