"""What every step of the floor shares: the project's inputs, the engine's SQL dialect, the tables' shapes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FAR = "cast('9999-12-31' as timestamp)"
PUBLISHED = {
    # state schema, description, grain
    "person": ("klargjorte_data", "sykefravaer_person", ("arbeidsforhold_id", "kvartal")),
    "statistikk": ("statistikk", "sykefravaersprosent", ("kvartal", "naering_hovedomraade", "fylkesnummer")),
    "utdata": ("utdata", "sykefravaer", ("kvartal", "naering_hovedomraade", "fylkesnummer")),
}
# source table -> history, key, staging columns (name, SQL over the raw columns), check_cols
SOURCES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "arbeidsforhold": (
        "hist_aareg__arbeidsforhold",
        "arbeidsforhold_id",
        [
            ("arbeidsforhold_id", "ARBFORHOLD_ID"),
            ("fodselsnummer", "FNR"),
            ("organisasjonsnummer", "ORGNR"),
            ("stillingsprosent", "cast(STILLINGSPST as numeric(28, 6))"),
            ("fra_og_med_dato", "cast(FOM_DATO as date)"),
            ("til_og_med_dato", "cast(TOM_DATO as date)"),
            ("endret_tidspunkt", "cast(ENDRET_TID as timestamp)"),
        ],
    ),
    "virksomheter": (
        "hist_enhetsregisteret__virksomheter",
        "organisasjonsnummer",
        [
            ("organisasjonsnummer", "ORGNR"),
            ("virksomhetsnavn", "NAVN"),
            ("naeringskode", "NAERINGSKODE"),
            ("kommunenummer", "KOMMUNENR"),
        ],
    ),
    "sykmeldinger": (
        "hist_sykmelding__sykmeldinger",
        "sykmelding_id",
        [
            ("sykmelding_id", "SYKMELDING_ID"),
            ("fodselsnummer", "FNR"),
            ("organisasjonsnummer", "ORGNR"),
            ("diagnosegruppe", "DIAGNOSEGRUPPE"),
            ("sykmeldingsgrad", "cast(SYKM_GRAD as integer)"),
            ("fra_og_med_dato", "cast(FOM_DATO as date)"),
            ("til_og_med_dato", "cast(TOM_DATO as date)"),
            ("endret_tidspunkt", "cast(ENDRET_TID as timestamp)"),
        ],
    ),
}
# what the staging models' column tests say, per source: SQL conditions that must hold on every row
SOURCE_RULES = {
    "arbeidsforhold": [
        "FNR is not null",
        "ORGNR is not null",
        "FOM_DATO is not null",
        "STILLINGSPST is null or cast(STILLINGSPST as numeric(28, 6)) between 0 and 100",
    ],
    "virksomheter": ["NAERINGSKODE is not null", "KOMMUNENR is not null"],
    "sykmeldinger": [
        "FNR is not null",
        "ORGNR is not null",
        "FOM_DATO is not null",
        "TOM_DATO is not null",
        "SYKM_GRAD is null or cast(SYKM_GRAD as integer) between 1 and 100",
        "kilde.DIAGNOSEGRUPPE is null or kode.diagnosegruppe is not null",
    ],
}
SOURCE_JOINS = {
    "sykmeldinger": "left join {kodeverk}.diagnosegrupper as kode on kilde.DIAGNOSEGRUPPE = kode.diagnosegruppe"
}
SEEDS = {
    "fylker": ["fylkesnummer", "fylkesnavn"],
    "naeringshovedomraader": ["naering_hovedomraade", "naering_hovedomraade_navn", "naering_fra", "naering_til"],
    "diagnosegrupper": ["diagnosegruppe", "diagnosegruppe_navn"],
}
# the seed columns the project tests: (unique and not null) or (not null)
SEED_RULES = {
    "fylker": (["fylkesnummer"], ["fylkesnummer", "fylkesnavn"]),
    "naeringshovedomraader": (["naering_hovedomraade"], ["naering_hovedomraade"]),
    "diagnosegrupper": (["diagnosegruppe"], ["diagnosegruppe"]),
}


class CheckFailed(RuntimeError):
    pass


@dataclass
class Settings:
    """The inputs besides the raw tables: the project's vars and the pseudonymisation key."""

    period_from: str
    period_to: str
    threshold: int
    product: str
    key: str
    seeds: Path

    @classmethod
    def from_project(cls, root: Path, key: str) -> Settings:
        variables = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
        return cls(
            period_from=variables["period_from"],
            period_to=variables["period_to"],
            threshold=int(variables.get("suppression_threshold", 5)),
            product=variables["product"],
            key=key,
            seeds=root / "seeds",
        )

    def quarters(self) -> list[tuple[str, dt.date, dt.date]]:
        def parse(text: str) -> tuple[int, int]:
            year, quarter = text.split("-Q")
            return int(year), int(quarter)

        year, quarter = parse(self.period_from)
        last = parse(self.period_to)
        quarters = []
        while (year, quarter) <= last:
            first = dt.date(year, 3 * quarter - 2, 1)
            after = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
            quarters.append((f"{year}-Q{quarter}", first, after - dt.timedelta(days=1)))
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        return quarters

    def relation(self, kind: str) -> tuple[str, str]:
        """(schema, name) of a published table, as the SSB name gives them."""
        state, description, _ = PUBLISHED[kind]
        period = f"p{self.period_from}_p{self.period_to}".lower().replace("-", "_")
        return f"{self.product}_{state}", f"{description}_{period}_v1"

    def pads(self) -> tuple[str, str]:
        """HMAC's inner and outer pads of the key (RFC 2104, SHA-256's 64-byte block), as hex."""
        key = self.key.encode("utf-8")
        key = key.ljust(64, b"\0")
        return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


@dataclass
class Engine:
    """What differs between DuckDB and PostgreSQL in the floor's SQL."""

    name: str
    execute: Callable[[str], list[tuple[Any, ...]]]
    schema_prefix: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def schema(self, name: str) -> str:
        return self.schema_prefix + name

    def hmac(self, column: str, ipad: str, opad: str) -> str:
        if self.name == "duckdb":
            return f"sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode({column}))))"
        return (
            f"encode(sha256(decode('{opad}', 'hex') || sha256(decode('{ipad}', 'hex') "
            f"|| convert_to({column}, 'UTF8'))), 'hex')"
        )

    def clock(self) -> str:
        if self.name == "duckdb":
            return "cast(now() at time zone 'UTC' as timestamp)"
        return "cast(now() at time zone 'utc' as timestamp)"

    def temp(self, name: str, sql: str) -> list[str]:
        statements = [f"create temporary table {name} as {sql}"]
        if self.name == "postgres":
            statements.append(f"analyze {name}")
        return statements

    def step(self, label: str, statements: Sequence[str]) -> list[tuple[Any, ...]]:
        started = time.perf_counter()
        rows: list[tuple[Any, ...]] = []
        for statement in statements:
            rows = self.execute(statement)
        self.timings[label] = self.timings.get(label, 0.0) + time.perf_counter() - started
        return rows

    def check(self, label: str, sql: str, names: Sequence[str]) -> None:
        """Run a check query returning one row of counts; every count must be 0."""
        row = self.step(label, [sql])[0]
        failed = {name: value for name, value in zip(names, row, strict=True) if value}
        if failed:
            raise CheckFailed(f"{label}: {failed}")


def working_days(engine: Engine, first: str, last: str, calendar: str) -> tuple[str, list[str]]:
    """SQL for the Monday-Friday days from `first` to `last` (both included), and the joins it needs."""
    if engine.name == "duckdb":
        # a join with a 1,000-row calendar on each end is cheaper than arithmetic on DuckDB
        start, end = f"start_{calendar}", f"end_{calendar}"
        joins = [
            f"inner join kalender as {start} on {first} = {start}.dato",
            f"inner join kalender as {end} on {last} = {end}.dato",
        ]
        return f"({end}.hittil - {start}.hittil + {start}.virkedag)", joins

    def before(day: str) -> str:
        # Monday-Friday days from Monday 1900-01-01 up to, not including, `day`
        days = f"({day} - date '1900-01-01')"
        return f"(5 * ({days} / 7) + least({days} % 7, 5))"

    return f"({before(f'({last} + 1)')} - {before(first)})", []


def same(left: str, right: str, column: str) -> str:
    """Equal or both null (dimensions can be null: an employer without a known industry or county)."""
    return f"({left}.{column} = {right}.{column} or ({left}.{column} is null and {right}.{column} is null))"


def literal(value: object) -> str:
    if value is None:
        return "cast(null as varchar)"
    return "'" + str(value).replace("'", "''") + "'"
