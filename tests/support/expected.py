"""The sick-leave statistic recomputed independently of the dbt models, from the raw extract with pandas.

Working days come from numpy's business-day calendar (Monday-Friday), not from the project's calendar model,
so a mistake in either shows up as a difference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _quarter_bounds(quarter: str) -> tuple[np.datetime64, np.datetime64]:
    year, q = int(quarter[:4]), int(quarter[-1])
    first = np.datetime64(f"{year}-{3 * q - 2:02d}-01")
    last = (np.datetime64(f"{year}-{3 * q:02d}", "M") + 1).astype("datetime64[D]") - 1
    return first, last


def _workdays(first: pd.Series, last: pd.Series) -> np.ndarray:
    return np.busday_count(first.to_numpy().astype("datetime64[D]"), (last.to_numpy().astype("datetime64[D]") + 1))


def sick_leave_statistic(batch: Path, seeds: Path, quarters: list[str]) -> pd.DataFrame:
    """kvartal, naering_hovedomraade, fylkesnummer -> antall_personer, avtalte/tapte dagsverk, prosent."""
    jobs = pd.read_csv(batch / "arbeidsforhold.csv", dtype=str)
    certificates = pd.read_csv(batch / "sykmeldinger.csv", dtype=str)
    employers = pd.read_csv(batch / "virksomheter.csv", dtype=str)
    sections = pd.read_csv(seeds / "naeringshovedomraader.csv", dtype=str)

    jobs["fom"] = pd.to_datetime(jobs["FOM_DATO"])
    jobs["tom"] = pd.to_datetime(jobs["TOM_DATO"])
    jobs["pst"] = jobs["STILLINGSPST"].astype(float)
    certificates["fom"] = pd.to_datetime(certificates["FOM_DATO"])
    certificates["tom"] = pd.to_datetime(certificates["TOM_DATO"])
    certificates["grad"] = certificates["SYKM_GRAD"].astype(float)

    division = employers["NAERINGSKODE"].str[:2]
    employers["naering_hovedomraade"] = None
    for _, row in sections.iterrows():
        inside = (division >= row["naering_fra"]) & (division <= row["naering_til"])
        employers.loc[inside, "naering_hovedomraade"] = row["naering_hovedomraade"]
    employers["fylkesnummer"] = employers["KOMMUNENR"].str[:2]

    parts = []
    for quarter in quarters:
        first, last = _quarter_bounds(quarter)
        start = jobs["fom"].clip(lower=pd.Timestamp(first))
        end = jobs["tom"].fillna(pd.Timestamp(last)).clip(upper=pd.Timestamp(last))
        active = jobs[(jobs["fom"] <= pd.Timestamp(last)) & (jobs["tom"].isna() | (jobs["tom"] >= pd.Timestamp(first)))]
        part = active[["ARBFORHOLD_ID", "FNR", "ORGNR", "pst"]].copy()
        part["kvartal"] = quarter
        part["start"], part["end"] = start[active.index], end[active.index]
        part["avtalte"] = _workdays(part["start"], part["end"]) * part["pst"] / 100
        parts.append(part)
    job_quarters = pd.concat(parts, ignore_index=True)

    certificates = certificates.rename(columns={"fom": "fom_sm", "tom": "tom_sm"})
    pairs = certificates.merge(job_quarters, on=["FNR", "ORGNR"])
    pairs = pairs[(pairs["fom_sm"] <= pairs["end"]) & (pairs["tom_sm"] >= pairs["start"])].copy()
    sick_from = pairs[["fom_sm", "start"]].max(axis=1)
    sick_to = pairs[["tom_sm", "end"]].min(axis=1)
    pairs["tapte"] = _workdays(sick_from, sick_to) * pairs["grad"] / 100 * pairs["pst"] / 100
    lost = pairs.groupby(["ARBFORHOLD_ID", "kvartal"], as_index=False)["tapte"].sum()

    person = job_quarters.merge(lost, on=["ARBFORHOLD_ID", "kvartal"], how="left").fillna({"tapte": 0.0})
    person = person.merge(employers[["ORGNR", "naering_hovedomraade", "fylkesnummer"]], on="ORGNR", how="left")
    cells = person.groupby(["kvartal", "naering_hovedomraade", "fylkesnummer"], as_index=False).agg(
        antall_personer=("FNR", "nunique"), avtalte_dagsverk=("avtalte", "sum"), tapte_dagsverk=("tapte", "sum")
    )
    cells["sykefravaersprosent"] = (100 * cells["tapte_dagsverk"] / cells["avtalte_dagsverk"]).round(2)
    return cells.sort_values(["kvartal", "naering_hovedomraade", "fylkesnummer"]).reset_index(drop=True)
