"""The SSB naming standard: the validator's table of good and bad names, period bounds, and compile-time names."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dataprodukt.rules.naming_standard import period_bounds, validate_file_name, validate_path, warehouse_identifier
from tests.conftest import run_cli

SEED = Path("/work/shared/seeds/ssb-naming-standard.md")

# every file-name example of the standard (seed ssb-naming-standard.md), checked below to be complete
STANDARD_EXAMPLES = [
    "flygende-objekter_p2019_v1.parquet",
    "ufo-observasjoner_p2019_p2020_v1.parquet",
    "framskrevne-befolkningsendringer_p2019_p2050_v1.parquet",
    "sykepenger_p2022-01-01_p2022-12-31_v1.parquet",
    "utanningsnivaa_p2022-10-01_v1.parquet",
    "grensehandel-imputert_p2022-10_p2022-12_v1.parquet",
    "omsetning_p2020-W01_v1.parquet",
    "omsetning_p2020-W15_v1.parquet",
    "skipsanloep_p2022-B1_v1.parquet",
    "pensjon_p2018-Q1_v1.parquet",
    "nybilreg_p2022-T1_v1.parquet",
    "personinntekt_p2022-H1_v1.parquet",
    "varehandel_p2018-Q1_p2018-Q4_v1.parquet",
    "skjema_p2024-12-31T23-59-30.000_v1.parquet",
]

GOOD_PATHS = [
    # the standard's folder examples
    "ledstill/inndata/skjema_p2024-Q1_v1.parquet",
    "ledstill/inndata/skjema_p2024-Q2_v2.parquet",
    "sykefra/klargjorte-data/sykefravaer_p2024-Q1_v1.parquet",
    "sykefra/statistikk/aggregert_p2024-Q2_v1.parquet",
    "sykefra/utdata/statbank_p2024-Q1_v1.parquet",
    "ameld_data/inndata/ameldingen_p2024-11_v1.parquet",
    "ledstill/inndata/on-prem/skjema_p2024-Q1_v1.parquet",  # free sub-folders below the state
    "ledstill/inndata/skjema_p2018_p2020_v1/aar=2018/data.parquet",  # partitioned
    "gs://ssb-dapla-example-data-produkt-prod/ledstill/utdata/statbank_p2024-Q2_v1.parquet",
    "befolkningsframskrivinger/klargjorte-data/framskrevne-befolkningsendringer_p2019_p2050_v3.parquet",
    "sykefra/statistikk/aggregert_p2024-Q1_v0.parquet",  # v0: unstable, allowed
    "sykefra/statistikk/aggregert_p2024-Q1_v1__DOC.json",  # the metadata sibling
    "omsetning_data/utdata/omsetning_p2020-W53_v1.parquet",  # 2020 has 53 ISO weeks
    "temp/mellomregning.csv",  # temp/ and oppdrag/ hold free names
    "oppdrag/2024-12345/uttrekk til forsker.csv".replace(" ", "-"),
    "ledstill/inndata/temp/hva-som-helst.parquet",  # temp below a state needs no version
]

BAD = [
    # (path, expected message, as a regex over the joined violations)
    ("x/utdata/a_p2018-02-30_v1.parquet", r"period 'p2018-02-30': .*not a real calendar value"),
    ("x/utdata/a_p2019-W53_v1.parquet", r"period 'p2019-W53': .*2019 has ISO weeks 01-52"),
    ("x/utdata/a_p2018-Q5_v1.parquet", r"period 'p2018-Q5': .*a quarter is numbered Q1-Q4"),
    ("x/utdata/a_p2018-T4_v1.parquet", r"a tertial is numbered T1-T3"),
    ("x/utdata/a_p2018-B7_v1.parquet", r"a bimester is numbered B1-B6"),
    ("x/utdata/a_p2018-H3_v1.parquet", r"a half-year is numbered H1-H2"),
    ("x/utdata/a_p2018-13_v1.parquet", r"not a real calendar value"),
    ("x/utdata/a_p2018-1_v1.parquet", r"no valid form"),
    ("x/utdata/a_p2018_p2018-Q4_v1.parquet", r"periods p2018 and p2018-Q4: both periods use the same form"),
    ("x/utdata/a_p2019_p2018_v1.parquet", r"periods p2019 and p2018: chronological order"),
    ("x/utdata/a_p2018-Q1_p2018-Q1_v1.parquet", r"chronological order.*write it once"),
    ("x/utdata/a_p2018_p2019_p2020_v1.parquet", r"at most two periods .*found 3"),
    ("x/utdata/sykefravær_p2018_v1.parquet", r"only a-z, A-Z, 0-9, - and _ are allowed.*æ, ø, å"),
    ("x/utdata/a b_p2018_v1.parquet", r"only a-z, A-Z, 0-9, - and _ are allowed.*no spaces"),
    ("x/utdata/pensjon_p2018-Q1.parquet", r"version missing: end the name with _v<N>"),
    ("x/utdata/pensjon_p2018-Q1_v01.parquet", r"version 'v01'"),
    ("x/utdata/pensjon_p2018-Q1_vx.parquet", r"version 'vx'"),
    ("x/utdata/pensjon_2018_v1.parquet", r"no period"),
    ("x/utdata/grense_handel_p2018_v1.parquet", r"description 'grense_handel': join the words .* with -"),
    ("x/utdata/_p2018_v1.parquet", r"starts with a period"),
    ("x/utdata/a_p2018_v1_extra.parquet", r"part 'v1'.*only _p<period> parts and _v<N>"),
    ("x/klargjorte_data/a_p2018_v1.parquet", r"state folder 'klargjorte_data': use one of inndata, klargjorte-data"),
    ("x/kildedata/a_p2018_v1.parquet", r"state folder 'kildedata'"),
    ("x/a_p2018_v1.parquet", r"write <product>/<state>/<file>"),
    ("x/utdata/min mappe/a_p2018_v1.parquet", r"folder 'min mappe': only a-z"),
    ("x/utdata/skjema_p2018_v1/aar2018/data.parquet", r"name 'data': no period"),
    ("x/utdata/skjema_p2018/aar=2018/data.parquet", r"version missing"),
    ("x/utdata/a_p2018.5_v1.parquet", r"a \. is allowed only"),
]


def test_every_example_in_the_seed_passes() -> None:
    if not SEED.is_file():
        pytest.skip("the seed document is not on this machine")
    found = set(re.findall(r"[a-z-]+_p[0-9][^\s/]*?(?:\.parquet|_v\d+)(?=[\s/]|$)", SEED.read_text(encoding="utf-8")))
    assert set(STANDARD_EXAMPLES) <= found
    assert len(found) > 30
    for name in sorted(found):
        # the seed shows the latest copy without _v<N> once, beside its versioned files
        unversioned = not re.search(r"_v\d+(\.parquet)?$", name)
        assert validate_file_name(name, require_version=not unversioned) == [], name


@pytest.mark.parametrize("name", STANDARD_EXAMPLES)
def test_standard_examples_pass(name: str) -> None:
    assert validate_file_name(name) == []
    assert validate_path(f"produkt/klargjorte-data/{name}") == []


@pytest.mark.parametrize("path", GOOD_PATHS)
def test_good_paths_pass(path: str) -> None:
    assert [str(problem) for problem in validate_path(path)] == []


@pytest.mark.parametrize(("path", "expected"), BAD)
def test_bad_names_fail_with_their_message(path: str, expected: str) -> None:
    problems = "; ".join(str(problem) for problem in validate_path(path))
    assert re.search(expected, problems), problems


def test_latest_copy_may_go_without_version_only_when_allowed() -> None:
    path = "befolkningsframskrivinger/klargjorte-data/framskrevne-befolkningsendringer_p2019_p2050.parquet"
    assert validate_path(path, allow_unversioned=True) == []
    assert validate_path(path)


def test_data_product_names_end_in_data() -> None:
    assert validate_path("ameld_data/inndata/ameldingen_p2024-11_v1.parquet", data_product=True) == []
    problems = validate_path("ameld/inndata/ameldingen_p2024-11_v1.parquet", data_product=True)
    assert [str(problem) for problem in problems] == ["product 'ameld': a data product's short name ends in _data"]


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2020-W15", date(2020, 4, 6), date(2020, 4, 12)),
        ("2018-T2", date(2018, 5, 1), date(2018, 8, 31)),
        ("2018-B6", date(2018, 11, 1), date(2018, 12, 31)),
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 3)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2018-Q4", date(2018, 10, 1), date(2018, 12, 31)),
        ("2022-H1", date(2022, 1, 1), date(2022, 6, 30)),
        ("2019", date(2019, 1, 1), date(2019, 12, 31)),
        ("2024-12-31T23-59-30.000", date(2024, 12, 31), date(2024, 12, 31)),
    ],
)
def test_period_bounds(period: str, first: date, last: date) -> None:
    assert period_bounds(period) == (first, last)


def test_warehouse_identifier_is_deterministic() -> None:
    assert warehouse_identifier("sykefravaer_p2024-Q1_v1") == "sykefravaer_p2024_q1_v1"
    assert warehouse_identifier("skjema_p2024-12-31T23-59-30.000_v1") == "skjema_p2024_12_31t23_59_30_000_v1"


def _set_var(project: Path, name: str, value: str) -> None:
    path = project / "dbt_project.yml"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(rf"^(  {name}:) .*$", rf'\1 "{value}"', text, count=1, flags=re.MULTILINE)
    assert changed != text
    path.write_text(changed, encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("period_from", "expected"),
    [
        ("2024-Q5", r"period '2024-Q5': a quarter is numbered Q1-Q4"),
        ("2025-Q1", r"periods p2025-Q1 and p2024-Q4: chronological order: p2025-Q1 starts after p2024-Q4"),
    ],
)
def test_bad_period_fails_at_compile_time_naming_the_model(project_copy: Path, period_from: str, expected: str) -> None:
    _set_var(project_copy, "period_from", period_from)
    result = run_cli(project_copy, "check", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"published model sykefravaer\w* v1 \(models/\w+/sykefravaer\w*_v1\.sql\)", output), output
    assert re.search(expected, output), output


@pytest.mark.slow
def test_check_fails_on_a_badly_named_model(project_copy: Path) -> None:
    yaml = project_copy / "models" / "statistikk" / "_sykefravaersprosent.yml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("      meta:\n", '      meta:\n        short_description: "fravær i prosent"\n', 1))
    result = run_cli(project_copy, "check", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "published model sykefravaersprosent v1 (models/statistikk/sykefravaersprosent_v1.sql)" in output, output
    assert "description 'fravær-i-prosent'" in output or "description 'fravær i prosent'" in output, output


def test_names_verb_reports_each_bad_path(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: x\n", encoding="utf-8")
    result = run_cli(
        tmp_path,
        "names",
        "sykefra/utdata/statbank_p2024-Q1_v1.parquet",
        "sykefra/utdata/a_p2019-W53_v1.parquet",
        check=False,
    )
    assert result.returncode == 1
    assert "ok sykefra/utdata/statbank_p2024-Q1_v1.parquet" in result.stdout
    assert "sykefra/utdata/a_p2019-W53_v1.parquet: period 'p2019-W53'" in result.stdout
    assert "1 of 2 path(s) follow the naming standard" in result.stdout


# --- where a storage path starts: gs://<bucket>/, Dapla Lab's mount /buckets/<bucket>/, or the bucket's root ------
STATBANK = "ledstill/utdata/statbank_p2024-Q1_v1.parquet"
# (path, the bucket it names, the path below the bucket)
BUCKET_PATHS = [
    (f"gs://ssb-dapla-example-data-produkt-prod/{STATBANK}", "ssb-dapla-example-data-produkt-prod", STATBANK),
    (f"/buckets/produkt/{STATBANK}", "produkt", STATBANK),
    (f"/buckets/ssb-dapla-example-data-produkt-prod/{STATBANK}", "ssb-dapla-example-data-produkt-prod", STATBANK),
    (STATBANK, None, STATBANK),
    (f"./{STATBANK}", None, STATBANK),
]
NO_BUCKET = (
    "an absolute path outside /buckets/<bucket>/ names no bucket: write gs://<bucket>/<product>/..., "
    "/buckets/<bucket>/<product>/... (Dapla Lab) or the path below the bucket, <product>/<state>/<file>"
)
# (path, every violation printed): the same rules wherever the path starts
PATHS_BY_START = [
    *[(path, []) for path, _bucket, _below in BUCKET_PATHS],
    ("/buckets/produkt/ledstill/inndata/skjema_p2018_p2020_v1/aar=2018/data.parquet", []),
    ("/buckets/produkt/temp/mellomregning.csv", []),
    ("/buckets/produkt/ledstill/inndata/temp/hva-som-helst.parquet", []),
    (
        "/buckets/produkt/ledstill/klargjorte_data/editert_p2024-Q1_v1.parquet",
        [
            "state folder 'klargjorte_data': use one of inndata, klargjorte-data, statistikk, utdata "
            "(kildedata is not named)"
        ],
    ),
    (
        "/buckets/produkt/ledstill/utdata/statbank_p2024-Q1.parquet",
        [
            "name 'statbank_p2024-Q1': version missing: end the name with _v<N> (v0 while unstable, v1 and up once "
            "stable); only the latest copy beside its versioned file goes without"
        ],
    ),
    (
        "/buckets/produkt/statbank_p2024-Q1_v1.parquet",
        [
            "path '/buckets/produkt/statbank_p2024-Q1_v1.parquet': write <product>/<state>/<file> (temp/ and oppdrag/ "
            "are the exceptions)"
        ],
    ),
    ("/buckets/produkt", ["path '/buckets/produkt': empty below the bucket: write <product>/<state>/<file>"]),
    ("gs://produkt", ["path 'gs://produkt': empty below the bucket: write <product>/<state>/<file>"]),
    ("/buckets/", ["path '/buckets/': no bucket after /buckets/: write /buckets/<bucket>/<product>/<state>/<file>"]),
    (f"/home/analytiker/{STATBANK}", [f"path '/home/analytiker/{STATBANK}': {NO_BUCKET}"]),
]


@pytest.mark.parametrize(("path", "bucket", "below"), BUCKET_PATHS)
def test_the_bucket_is_read_off_the_path(path: str, bucket: str | None, below: str) -> None:
    from dataprodukt.rules.naming_standard import split_bucket

    assert split_bucket(path) == (bucket, below)


@pytest.mark.parametrize(("path", "expected"), PATHS_BY_START)
def test_paths_are_checked_below_their_bucket(path: str, expected: list[str]) -> None:
    assert [str(problem) for problem in validate_path(path)] == expected


def test_a_data_product_in_a_mounted_bucket_is_named_from_the_bucket_down() -> None:
    assert validate_path("/buckets/produkt/ameld_data/inndata/ameldingen_p2024-11_v1.parquet", data_product=True) == []
    problems = validate_path("/buckets/produkt_data/ameld/inndata/ameldingen_p2024-11_v1.parquet", data_product=True)
    assert [str(problem) for problem in problems] == ["product 'ameld': a data product's short name ends in _data"]


def test_names_verb_reads_mounted_buckets_and_files_in_the_storage_root(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: x\n", encoding="utf-8")
    stored = "build/storage/sykefravaer/utdata/sykefravaer_p2024-Q1_p2024-Q4_v1.parquet"
    (tmp_path / stored).parent.mkdir(parents=True)
    (tmp_path / stored).write_bytes(b"")
    paths = [f"/buckets/produkt/{STATBANK}", stored, str(tmp_path / stored), f"gs://b/{STATBANK}", STATBANK]
    result = run_cli(tmp_path, "names", *paths, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        *(f"ok {path}" for path in paths),
        "5 of 5 path(s) follow the naming standard",
    ]
