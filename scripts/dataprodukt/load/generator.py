"""Synthetic, deterministic raw data for the example product, written the way source systems deliver it.

Three raw tables, each delivered as a full extract per batch (CSV, every field text, upper-case abbreviated
Norwegian column names; the batch's delivery time in its delivery.json): sick-leave certificates (sykmeldinger),
employment relationships (arbeidsforhold) and employers (virksomheter). Batch 0 is the first extract; each later
batch is the next full extract after a set of changes: updates, deletions, late arrivals and re-inserts, so that
history has something to record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dataprodukt.core.errors import UserError
from dataprodukt.load.deliveries import MANIFEST, MANIFEST_FIELD

TABLES: dict[str, tuple[str, ...]] = {
    "sykmeldinger": (
        "SYKMELDING_ID",
        "FNR",
        "ORGNR",
        "FOM_DATO",
        "TOM_DATO",
        "SYKM_GRAD",
        "DIAGNOSEGRUPPE",
        "ENDRET_TID",
    ),
    "arbeidsforhold": ("ARBFORHOLD_ID", "FNR", "ORGNR", "FOM_DATO", "TOM_DATO", "STILLINGSPST", "ENDRET_TID"),
    "virksomheter": ("ORGNR", "NAVN", "NAERINGSKODE", "KOMMUNENR"),
}
KEYS = {"sykmeldinger": "SYKMELDING_ID", "arbeidsforhold": "ARBFORHOLD_ID", "virksomheter": "ORGNR"}

YEAR_START = date(2024, 1, 1)
YEAR_END = date(2024, 12, 31)
FIRST_EXTRACT = datetime(2025, 1, 6, 6, 0, 0)
BATCH_INTERVAL = timedelta(days=7)

COUNTIES = ("03", "11", "15", "18", "31", "32", "33", "34", "39", "40", "42", "46", "50", "55", "56")
COUNTY_WEIGHTS = (13, 9, 5, 4, 6, 13, 5, 7, 5, 3, 6, 12, 9, 2, 1)
# two-digit NACE divisions and how common employment in them is (rough Norwegian shape)
DIVISIONS = ("86", "87", "88", "47", "46", "85", "84", "41", "43", "25", "10", "62", "49", "56", "70", "01", "06")
DIVISION_WEIGHTS = (9, 6, 6, 9, 5, 9, 7, 4, 5, 3, 3, 4, 4, 3, 3, 1, 2)
DIAGNOSES = ("L", "P", "R", "A", "D", "K", "N", "W", "S", "T", "H", "Z")
DIAGNOSIS_WEIGHTS = (38, 24, 12, 7, 4, 3, 3, 3, 2, 2, 1, 1)
GRADES = (100, 50, 80, 60, 40, 20)
GRADE_WEIGHTS = (70, 14, 5, 5, 4, 2)
POSITIONS = (100.0, 80.0, 60.0, 50.0, 40.0, 20.0)
POSITION_WEIGHTS = (62, 12, 8, 8, 6, 4)


@dataclass
class BatchSummary:
    """What a batch changed, per table: written beside the files for people and tests."""

    batch: int
    extracted_at: str
    rows: dict[str, int] = field(default_factory=dict)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)


def _p(weights: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(weights, dtype=float)
    shares: np.ndarray = array / array.sum()
    return shares


def _days(start: date, count: np.ndarray | int) -> np.ndarray:
    return np.datetime64(start, "D") + np.asarray(count, dtype="timedelta64[D]")


def _date_text(days: np.ndarray) -> pa.Array:
    """ISO dates as text; NaT becomes an empty field (the source's way of saying 'none')."""
    array = pa.array(days.astype("datetime64[s]"), type=pa.timestamp("s"))
    return pc.strftime(array, format="%Y-%m-%d")


def _time_text(seconds: np.ndarray) -> pa.Array:
    return pc.strftime(pa.array(seconds.astype("datetime64[s]"), type=pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded identifiers such as SM0000000001, formatted by Arrow's string kernels (fast at 10M rows)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "") if prefix else digits


def _labels(codes: np.ndarray, labels: tuple[str, ...] | tuple[int, ...]) -> pa.Array:
    """Category codes (indexes into ``labels``) as text."""
    dictionary = pa.array([str(label) for label in labels])
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), dictionary).cast(pa.string())


class State:
    """The source systems' current content, held as numpy columns; batches mutate it."""

    def __init__(self, rows: int, seed: int) -> None:
        if rows < 100:
            raise UserError(f"--rows {rows} is too small: give at least 100 certificate rows")
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        persons = max(rows // 2, 60)
        employers = max(persons // 25, 40)
        jobs = int(persons * 1.15)

        # employers: 9-digit organisation numbers, industry and municipality
        self.org = np.sort(rng.choice(np.arange(800_000_000, 999_999_999, 7, dtype=np.int64), employers, replace=False))
        division = rng.choice(DIVISIONS, employers, p=_p(DIVISION_WEIGHTS))
        self.org_code = np.char.add(
            np.char.add(division, "."), np.char.zfill(rng.integers(1, 999, employers).astype(str), 3)
        )
        county = rng.choice(COUNTIES, employers, p=_p(COUNTY_WEIGHTS))
        self.org_municipality = np.char.add(county, np.char.zfill(rng.integers(1, 40, employers).astype(str), 2))
        self.org_name = np.char.add("Virksomhet ", np.char.add(np.arange(1, employers + 1).astype(str), " AS"))

        # persons: synthetic 11-digit ids, a birth date (DDMMYY) and five digits, unique; kept as integers
        birth = _days(date(1960, 1, 1), rng.integers(0, 16_800, persons * 2))
        month_start = birth.astype("datetime64[M]")
        day = (birth - month_start.astype("datetime64[D]")).astype(np.int64) + 1
        month = month_start.astype(np.int64) % 12 + 1
        year = (birth.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
        ids = ((day * 100 + month) * 100 + year) * 100_000 + rng.integers(0, 100_000, persons * 2)
        self.person = np.unique(ids)[:persons]
        rng.shuffle(self.person)

        # employment relationships: one per person, some persons hold two
        who = np.concatenate([np.arange(persons), rng.integers(0, persons, jobs - persons)])
        self.job_id = np.arange(1, jobs + 1)
        self.job_person = self.person[who]
        self.job_org = self.org[rng.integers(0, employers, jobs)]
        start = _days(date(2012, 1, 1), rng.integers(0, (date(2024, 11, 30) - date(2012, 1, 1)).days, jobs))
        self.job_from = start
        ends = rng.random(jobs) < 0.12
        end = start + rng.integers(60, 900, jobs).astype("timedelta64[D]")
        end = np.where(end < np.datetime64(YEAR_START), np.datetime64(YEAR_START) + np.timedelta64(45, "D"), end)
        self.job_to = np.where(ends, end, np.datetime64("NaT"))
        self.job_position = rng.choice(POSITIONS, jobs, p=_p(POSITION_WEIGHTS))
        self.job_changed = self._changed_at(self.job_from)

        # certificates: placed in disjoint slots of each job's 2024 span, so they never overlap for one job
        job_of = np.sort(rng.integers(0, jobs, rows))
        span_start = np.maximum(self.job_from[job_of], np.datetime64(YEAR_START))
        span_end = np.minimum(
            np.where(np.isnat(self.job_to[job_of]), np.datetime64(YEAR_END), self.job_to[job_of]),
            np.datetime64(YEAR_END),
        )
        per_job = np.bincount(job_of, minlength=jobs)
        slot = np.arange(rows) - np.repeat(np.cumsum(per_job) - per_job, per_job)
        slot_len = np.maximum((span_end - span_start).astype(int) + 1, 1) // per_job[job_of]
        slot_len = np.maximum(slot_len, 1)
        duration = np.minimum(np.clip(rng.lognormal(2.3, 0.9, rows).astype(int), 1, 180), slot_len)
        offset = (rng.random(rows) * (slot_len - duration + 1)).astype(int)
        self.sm_from = span_start + (slot * slot_len + offset).astype("timedelta64[D]")
        self.sm_to = self.sm_from + (duration - 1).astype("timedelta64[D]")
        self.sm_id = np.arange(1, rows + 1)
        self.sm_job = job_of
        self.sm_grade = rng.choice(len(GRADES), rows, p=_p(GRADE_WEIGHTS))
        self.sm_diagnosis = rng.choice(len(DIAGNOSES), rows, p=_p(DIAGNOSIS_WEIGHTS))
        self.sm_changed = self._changed_at(self.sm_from)
        self.sm_alive = np.ones(rows, dtype=bool)
        self.job_alive = np.ones(jobs, dtype=bool)
        self.next_sm = rows + 1

    def _changed_at(self, day: np.ndarray) -> np.ndarray:
        """Last-changed time: a few days after the start, never after the first extract."""
        seconds = day.astype("datetime64[s]") + self.rng.integers(86_400, 10 * 86_400, len(day)).astype(
            "timedelta64[s]"
        )
        clamped: np.ndarray = np.minimum(seconds, np.datetime64(FIRST_EXTRACT - timedelta(hours=1), "s"))
        return clamped

    # ---- one batch of changes -------------------------------------------------------------------------------
    def change(self, batch: int) -> dict[str, dict[str, int]]:
        """Apply the changes that happened between extract ``batch - 1`` and extract ``batch``."""
        rng = self.rng
        now = np.datetime64(FIRST_EXTRACT + batch * BATCH_INTERVAL, "s")

        def stamp(count: int) -> np.ndarray:
            return now - rng.integers(3_600, 6 * 86_400, count).astype("timedelta64[s]")

        alive = np.flatnonzero(self.sm_alive)
        pick = rng.permutation(alive)
        n_update = max(len(alive) // 50, 2)
        n_delete = max(len(alive) // 200, 1)
        updated, deleted = pick[:n_update], pick[n_update : n_update + n_delete]
        # corrections: an earlier return to work or a changed grade
        shorter = updated[: len(updated) // 2]
        keep = np.maximum((self.sm_to[shorter] - self.sm_from[shorter]).astype(int) // 2, 0)
        self.sm_to[shorter] = self.sm_from[shorter] + keep.astype("timedelta64[D]")
        regraded = updated[len(updated) // 2 :]
        self.sm_grade[regraded] = rng.choice(len(GRADES), len(regraded), p=_p(GRADE_WEIGHTS))
        self.sm_changed[updated] = stamp(len(updated))
        self.sm_alive[deleted] = False

        # re-inserts: certificates deleted in an earlier batch come back (a cancelled annulment)
        earlier_deleted = np.setdiff1d(np.flatnonzero(~self.sm_alive), deleted)
        reinserted = earlier_deleted[: max(len(earlier_deleted) // 3, 0)]
        self.sm_alive[reinserted] = True
        self.sm_changed[reinserted] = stamp(len(reinserted))

        # late arrivals: certificates for 2024 that reach the register only now, on jobs with none
        late = self._late_certificates(max(len(alive) // 100, 1), stamp)

        # employment relationships that ended, and employers that moved or were renamed
        open_jobs = np.flatnonzero(self.job_alive & np.isnat(self.job_to))
        ended = rng.choice(open_jobs, min(max(len(open_jobs) // 100, 1), len(open_jobs)), replace=False)
        self.job_to[ended] = np.datetime64(YEAR_END) + rng.integers(1, 20, len(ended)).astype("timedelta64[D]")
        self.job_changed[ended] = stamp(len(ended))
        moved = rng.choice(len(self.org), max(len(self.org) // 50, 1), replace=False)
        county = rng.choice(COUNTIES, len(moved), p=_p(COUNTY_WEIGHTS))
        self.org_municipality[moved] = np.char.add(
            county, np.char.zfill(rng.integers(1, 40, len(moved)).astype(str), 2)
        )
        return {
            "sykmeldinger": {
                "updated": len(updated),
                "deleted": len(deleted),
                "reinserted": len(reinserted),
                "late_arrivals": late,
            },
            "arbeidsforhold": {"updated": len(ended)},
            "virksomheter": {"updated": len(moved)},
        }

    def _late_certificates(self, count: int, stamp: Callable[[int], np.ndarray]) -> int:
        rng = self.rng
        has_certificate = np.zeros(len(self.job_id), dtype=bool)
        has_certificate[self.sm_job] = True
        free = np.flatnonzero(~has_certificate & np.isnat(self.job_to) & (self.job_from < np.datetime64("2024-06-01")))
        if len(free) == 0:
            return 0
        jobs = rng.choice(free, min(count, len(free)), replace=False)
        n = len(jobs)
        start = _days(date(2024, 7, 1), rng.integers(0, 150, n))
        ids = np.arange(self.next_sm, self.next_sm + n)
        self.next_sm += n
        self.sm_id = np.concatenate([self.sm_id, ids])
        self.sm_job = np.concatenate([self.sm_job, jobs])
        self.sm_from = np.concatenate([self.sm_from, start])
        self.sm_to = np.concatenate([self.sm_to, start + rng.integers(2, 20, n).astype("timedelta64[D]")])
        self.sm_grade = np.concatenate([self.sm_grade, rng.choice(len(GRADES), n, p=_p(GRADE_WEIGHTS))])
        self.sm_diagnosis = np.concatenate([self.sm_diagnosis, rng.choice(len(DIAGNOSES), n, p=_p(DIAGNOSIS_WEIGHTS))])
        self.sm_changed = np.concatenate([self.sm_changed, stamp(n)])
        self.sm_alive = np.concatenate([self.sm_alive, np.ones(n, dtype=bool)])
        return n

    # ---- extracts -------------------------------------------------------------------------------------------
    def extract(self) -> dict[str, pa.Table]:
        sm = np.flatnonzero(self.sm_alive)
        jobs = np.flatnonzero(self.job_alive)
        return {
            "sykmeldinger": pa.table(
                {
                    "SYKMELDING_ID": _ids("SM", self.sm_id[sm], 10),
                    "FNR": _ids("", self.job_person[self.sm_job[sm]], 11),
                    "ORGNR": _text(self.job_org[self.sm_job[sm]]),
                    "FOM_DATO": _date_text(self.sm_from[sm]),
                    "TOM_DATO": _date_text(self.sm_to[sm]),
                    "SYKM_GRAD": _labels(self.sm_grade[sm], GRADES),
                    "DIAGNOSEGRUPPE": _labels(self.sm_diagnosis[sm], DIAGNOSES),
                    "ENDRET_TID": _time_text(self.sm_changed[sm]),
                }
            ),
            "arbeidsforhold": pa.table(
                {
                    "ARBFORHOLD_ID": _ids("AF", self.job_id[jobs], 9),
                    "FNR": _ids("", self.job_person[jobs], 11),
                    "ORGNR": _text(self.job_org[jobs]),
                    "FOM_DATO": _date_text(self.job_from[jobs]),
                    "TOM_DATO": _date_text(self.job_to[jobs]),
                    "STILLINGSPST": pc.cast(pa.array(self.job_position[jobs]), pa.string()),
                    "ENDRET_TID": _time_text(self.job_changed[jobs]),
                }
            ),
            "virksomheter": pa.table(
                {
                    "ORGNR": _text(self.org),
                    "NAVN": _text(self.org_name),
                    "NAERINGSKODE": _text(self.org_code),
                    "KOMMUNENR": _text(self.org_municipality),
                }
            ),
        }


def batch_dir(raw_dir: Path, batch: int) -> Path:
    return raw_dir / f"batch_{batch:03d}"


def generate(raw_dir: Path, rows: int = 20_000, batches: int = 3, seed: int = 20240101) -> list[BatchSummary]:
    """Write batch 0 (the first full extract) and ``batches`` change batches under ``raw_dir``.

    The same arguments always give byte-identical files.
    """
    if batches < 0:
        raise UserError(f"--batches {batches} is negative: give 0 or more change batches")
    state = State(rows, seed)
    summaries = []
    raw_dir.mkdir(parents=True, exist_ok=True)
    for batch in range(batches + 1):
        changes = state.change(batch) if batch else {}
        tables = state.extract()
        folder = batch_dir(raw_dir, batch)
        folder.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            _write_csv(table, folder / f"{name}.csv")
        summary = BatchSummary(
            batch=batch,
            extracted_at=(FIRST_EXTRACT + batch * BATCH_INTERVAL).isoformat(sep=" "),
            rows={name: table.num_rows for name, table in tables.items()},
            changes=changes,
        )
        (folder / "batch.json").write_text(json.dumps(asdict(summary), indent=2) + "\n", encoding="utf-8")
        # the delivery's time, so history records each extract when it was delivered (load/deliveries.py)
        delivered = {MANIFEST_FIELD: (FIRST_EXTRACT + batch * BATCH_INTERVAL).isoformat()}
        (folder / MANIFEST).write_text(json.dumps(delivered) + "\n", encoding="utf-8")
        summaries.append(summary)
    return summaries


def _write_csv(table: pa.Table, path: Path) -> None:
    """Write atomically: a reader never sees half a file."""
    partial = path.with_suffix(".csv.partial")
    pacsv.write_csv(table, partial, write_options=pacsv.WriteOptions(quoting_style="needed"))
    partial.replace(path)


def list_batches(raw_dir: Path) -> list[Path]:
    """The batch folders under ``raw_dir``, in order."""
    return sorted(path for path in raw_dir.glob("batch_[0-9][0-9][0-9]") if path.is_dir())
