"""What Statistics Norway's own reader, the version comparison and the catalog page make of a published product.

The example built by the main job is copied; its statistics get a version 2 with one variable added
(``sykefravaersprosent_avrundet``) and one removed (``tapte_dagsverk``), and the main job runs again (v1 stays as
published, v2 is published beside it). Every document that run exports is read with dapla-toolbelt-metadata in its
own Python 3.12 virtualenv; the page is opened in Chromium.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc import toolbelt
from tests.conftest import IN_CI, REPO, BuiltExample, run_cli

pytestmark = pytest.mark.slow

PERIODS = "p2024-Q1_p2024-Q4"
V2_COLUMNS = """\
      - v: 2
        columns:
          - include: all
            exclude: [tapte_dagsverk]
          - name: sykefravaersprosent_avrundet
            data_type: "{{ 'numeric' if target.type == 'bigquery' else 'numeric(28,1)' }}"
            description: "Sykefraværsprosenten avrundet til én desimal."
            meta: {variable_role: MEASURE, measurement_unit: prosent}
"""
V2_SELECT = (
    "select kvartal, naering_hovedomraade, fylkesnummer, antall_personer, avtalte_dagsverk, sykefravaersprosent,\n"
    "    cast(round(sykefravaersprosent, 1) as numeric(28, 1)) as sykefravaersprosent_avrundet\nfrom prosent\n"
)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_version_2(root: Path) -> None:
    """sykefravaersprosent v2: tapte_dagsverk removed, sykefravaersprosent_avrundet added; utdata stays on v1."""
    folder = root / "models" / "statistikk"
    v1 = (folder / "sykefravaersprosent_v1.sql").read_text(encoding="utf-8")
    assert v1.rstrip().endswith("select * from prosent"), v1[-200:]
    (folder / "sykefravaersprosent_v2.sql").write_text(v1.rstrip()[: -len("select * from prosent")] + V2_SELECT)
    _edit(
        folder / "_sykefravaersprosent.yml",
        "    versions:\n      - v: 1\n",
        "    versions:\n      - v: 1\n" + V2_COLUMNS,
    )
    _edit(folder / "_sykefravaersprosent.yml", "latest_version: 1", "latest_version: 2")
    utdata = root / "models" / "utdata"
    _edit(utdata / "sykefravaer_v1.sql", "ref('sykefravaersprosent')", "ref('sykefravaersprosent', v=1)")
    _edit(utdata / "_sykefravaer.yml", "input: ref('sykefravaersprosent')", "input: ref('sykefravaersprosent', v=1)")


@pytest.fixture(scope="module")
def published(example_duckdb: BuiltExample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with v2 of its statistics published by a second run of the main job."""
    root = tmp_path_factory.mktemp("published") / "project"
    shutil.copytree(example_duckdb.root, root, ignore=shutil.ignore_patterns("logs"))
    add_version_2(root)
    run_cli(root, "run", env=example_duckdb.env)
    return root


@pytest.fixture(scope="module")
def reader() -> Path:
    """Statistics Norway's reader in its own virtualenv, made once per machine under build/toolbelt."""
    try:
        return toolbelt.ensure_reader(REPO / "build")
    except UserError as error:
        if IN_CI:
            pytest.fail(f"Statistics Norway's Datadoc reader is required in CI: {error}")
        pytest.skip(f"no Datadoc reader: {error}")


def _documents(root: Path) -> dict[str, Path]:
    storage = root / "build" / "storage" / "sykefravaer"
    return {path.name.removesuffix("__DOC.json"): path for path in sorted(storage.rglob("*__DOC.json"))}


def _datadoc(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(path.read_bytes())["datadoc"]
    return found


def test_statistics_norways_reader_finds_every_document_complete_and_clean(published: Path, reader: Path) -> None:
    documents = _documents(published)
    assert set(documents) == {
        f"sykefravaer-person_{PERIODS}_v1",
        f"sykefravaersprosent_{PERIODS}_v1",
        f"sykefravaersprosent_{PERIODS}_v2",
        f"sykefravaer_{PERIODS}_v1",
    }
    reports = {
        Path(report["path"]).name: report for report in toolbelt.read_documents(reader, list(documents.values()))
    }
    for stem, path in documents.items():
        report = reports[path.name]
        assert toolbelt.problems(report) == [], stem
        assert report["percent_complete"] == _datadoc(path)["percentage_complete"] == 100, stem
    # links as the reader stores them: it found nothing to rewrite
    person = reports[documents[f"sykefravaer-person_{PERIODS}_v1"].name]["variables"]
    assert person["fylkesnummer"]["classification_uri"] == "urn:ssb:classification:klass:104"
    assert person["naering_hovedomraade"]["classification_uri"] == "urn:ssb:classification:klass:6"
    # the pseudonym made by the pseudonymize macro carries the block, naming the key and never holding it
    assert person["person_pseudonym"]["pseudonymization"] == {
        "encryption_algorithm": "HMAC-SHA-256",
        "encryption_key_reference": "DATAPRODUKT_PSEUDONYM_KEY",
        "encryption_algorithm_parameters": [{"keyId": "DATAPRODUKT_PSEUDONYM_KEY"}],
    }
    assert [name for name, found in person.items() if found["pseudonymization"]] == ["person_pseudonym"]
    key = (published / "build" / "pseudonym.key").read_text(encoding="utf-8").strip()
    assert len(key) >= 32 and not any(key.encode() in path.read_bytes() for path in documents.values())


def test_every_variable_inherits_the_models_global_values(published: Path) -> None:
    document = _datadoc(_documents(published)[f"sykefravaersprosent_{PERIODS}_v2"])
    population = document["dataset"]["population_description"]
    assert population[0]["languageText"].startswith("Arbeidsforhold registrert i Aa-registeret")
    for variable in document["variables"]:
        assert variable["population_description"] == population, variable["short_name"]
        assert (variable["unit_type"], variable["temporality_type"]) == ("20", "ACCUMULATED")
        assert variable["data_source"].startswith("Aa-registeret")


def test_version_2_says_what_changed_and_version_1_stays_as_published(
    published: Path, example_duckdb: BuiltExample
) -> None:
    documents = _documents(published)
    v2 = _datadoc(documents[f"sykefravaersprosent_{PERIODS}_v2"])["dataset"]["version_description"]
    nb = "Endret fra versjon 1: lagt til sykefravaersprosent_avrundet (FLOAT); fjernet tapte_dagsverk."
    en = "Changed from version 1: added sykefravaersprosent_avrundet (FLOAT); removed tapte_dagsverk."
    assert v2 == [{"languageCode": "nb", "languageText": nb}, {"languageCode": "en", "languageText": en}]
    v1 = documents[f"sykefravaersprosent_{PERIODS}_v1"]
    assert _datadoc(v1)["dataset"]["version_description"][0]["languageText"] == "Opprinnelig versjon"
    before = example_duckdb.root / "build" / "storage" / "sykefravaer" / "statistikk" / v1.name
    assert v1.read_bytes() == before.read_bytes()  # the published version's document is untouched


def _weighted_rate(root: Path) -> list[tuple[str, float]]:
    """The statistic per quarter computed here, independently of the page: lost / agreed working days x 100 over
    the published (v1) cells of the open table's input."""
    import duckdb

    connection = duckdb.connect(str(root / "build" / "sykefravaer.duckdb"), read_only=True)
    try:
        rows = connection.execute(
            "select kvartal, 100 * sum(tapte_dagsverk) / sum(avtalte_dagsverk) "
            f"from sykefravaer_statistikk.sykefravaersprosent_{PERIODS.lower().replace('-', '_')}_v1 "
            "where sykefravaersprosent is not null group by kvartal order by kvartal"
        ).fetchall()
    finally:
        connection.close()
    return [(str(quarter), float(value)) for quarter, value in rows]


def test_the_page_shows_labels_versions_lineage_and_the_figure(published: Path, page: Any) -> None:
    page.goto((published / "build" / "catalog" / "site" / "index.html").as_uri() + "#/datasett/sykefravaersprosent")
    page.wait_for_selector("#datasett")
    facts = page.locator("dl.facts").first.inner_text()
    assert "Person (20)" in facts
    assert "Arbeid og lønn / Arbeidsmiljø, sykefravær og arbeidskonflikter (al04)" in facts
    rows = page.locator("#versjoner tbody tr")
    assert rows.count() == 2
    newest = rows.first.locator(".endringer").inner_text()
    assert "Lagt til: sykefravaersprosent_avrundet (Desimaltall)" in newest
    assert "Fjernet: tapte_dagsverk" in newest
    assert "Endret fra versjon 1" in newest
    assert rows.nth(1).locator(".endringer").inner_text() == "Opprinnelig versjon"
    # v2's variables: the new one is there, the removed one is not
    assert page.locator("#variabel-sykefravaersprosent_avrundet").count() == 1
    assert page.locator("#variabel-tapte_dagsverk").count() == 0
    # column lineage back to the raw sources' columns, as the warehouse spells them
    sources = page.locator("#variabel-sykefravaersprosent .kilder").inner_text()
    assert "aareg.arbeidsforhold.STILLINGSPST" in sources and "sykmelding.sykmeldinger.SYKM_GRAD" in sources
    assert page.locator("#variabel-fylkesnummer .kilder").inner_text() == "fylker.fylkesnummer"
    klass = page.locator("#variabel-fylkesnummer a.kodeverk")
    assert klass.inner_text() == "KLASS 104: Standard for fylkesinndeling"
    assert klass.get_attribute("href") == "https://www.ssb.no/klass/klassifikasjoner/104"
    # the figure: one bar per quarter, the rate of the sums within the cells' rounding to two decimals
    bars = page.locator("#figur svg rect.stolpe")
    drawn = [
        (bars.nth(i).get_attribute("data-x"), float(bars.nth(i).get_attribute("data-y"))) for i in range(bars.count())
    ]
    expected = _weighted_rate(published)
    assert (
        [quarter for quarter, _ in drawn] == [quarter for quarter, _ in expected] == [f"2024-Q{n}" for n in range(1, 5)]
    )
    assert all(abs(value - rate) < 0.01 for (_, value), (_, rate) in zip(drawn, expected, strict=True)), (
        drawn,
        expected,
    )
    assert page.locator("#figur svg").get_attribute("role") == "img"
    (REPO / "build" / "test-artifacts").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPO / "build" / "test-artifacts" / "catalog-versions.png"), full_page=True)
    # the person-level table has no figure; its pseudonym's sources are the national id it was made from
    page.goto((published / "build" / "catalog" / "site" / "index.html").as_uri() + "#/datasett/sykefravaer_person")
    page.wait_for_selector("#datasett[data-dataset='sykefravaer_person']")
    assert page.locator("#figur").count() == 0
    assert page.locator("#variabel-person_pseudonym .kilder").inner_text() == "aareg.arbeidsforhold.FNR"
    assert page.errors == []
