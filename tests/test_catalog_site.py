"""The catalog page, opened in a real browser (Debian's chromium driven by playwright), from disk and over HTTP.

The example is published by the main job (data files, register records, documents); the documents are then
rewritten here with the ``datadoc_model`` classes (titles, and a label that tries to inject markup), and an
earlier publication of another period is added the way the publish step writes one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.catalog.site import _personal, embed
from dataprodukt.catalog.sources import parse_stem, register_records
from dataprodukt.core.storage import Storage
from dataprodukt.datadoc.types import column_kind, datadoc_type
from dataprodukt.publish.register import Record, record_path, stored_records
from dataprodukt.rules.identity import Dataset, published_datasets
from tests.conftest import REPO, BuiltExample, clean_env, run_cli
from tests.support.runlog_job import run_job

ARTIFACTS = REPO / "build" / "test-artifacts"
TITLES = {
    "sykefravaer_person": "Sykefravær per arbeidsforhold og kvartal",
    "sykefravaersprosent": "Sykefraværsprosent",
    "sykefravaer": "Sykefravær, åpne tall",
}
STATUS = {"PROCESSED_DATA": "INTERNAL", "STATISTICS": "INTERNAL", "OUTPUT_DATA": "EXTERNAL"}
INJECTION = '<img src=x onerror="window.__pwned = 1">'


def _language(text: str) -> Any:
    from datadoc_model.required import model

    return model.LanguageStringType([model.LanguageStringTypeItem(languageCode="nb", languageText=text)])


def datadoc_document(dataset: Dataset, catalog: dict[str, Any]) -> str:
    """A complete Datadoc document for one dataset version, validated by the ssb-datadoc-model classes."""
    from datadoc_model.required import model

    node, now = dataset.node, datetime.now(UTC)
    meta = node["config"]["meta"]
    types = {name.lower(): column["type"] for name, column in catalog["nodes"][dataset.unique_id]["columns"].items()}
    variables = []
    for name, column in node["columns"].items():
        column_meta = column.get("meta") or {}
        personal = column_meta.get("is_personal_data", "NOT_PERSONAL_DATA") != "NOT_PERSONAL_DATA"
        label = INJECTION if (dataset.model, name) == ("sykefravaersprosent", "kvartal") else name.replace("_", " ")
        variables.append(
            model.Variable(
                short_name=name,
                name=_language(label),
                data_type=datadoc_type(column_kind(types[name.lower()])),
                variable_role=column_meta.get("variable_role", "ATTRIBUTE"),
                is_personal_data=personal,
                unit_type=str(meta["unit_type"]),
                data_source=str(meta["data_source"]),
                temporality_type=str(meta["temporality_type"]),
                measurement_unit=column_meta.get("measurement_unit"),
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"{dataset.stem}/{name}"),
            )
        )
    document = model.MetadataContainer(
        datadoc=model.DatadocMetadata(
            document_version="6.2.0",
            dataset=model.Dataset(
                short_name=dataset.stem,
                assessment=dataset.assessment,
                dataset_status=STATUS[dataset.dataset_state],
                dataset_state=dataset.dataset_state,
                name=_language(TITLES[dataset.model]),
                description=_language(node["description"]),
                population_description=_language(meta["population_description"]),
                version=str(dataset.version),
                subject_field=str(meta["subject_field"]),
                keyword=list(meta["keyword"]),
                id=uuid.uuid5(uuid.NAMESPACE_URL, dataset.stem),
                owner=dataset.product,
                file_path=str(dataset.storage_path),
                metadata_created_date=now,
                metadata_created_by="dataprodukt",
                metadata_last_updated_date=now,
                metadata_last_updated_by="dataprodukt",
            ),
            variables=variables,
        )
    )
    return document.model_dump_json(indent=2, exclude_none=True)


def rewrite_documents(root: Path, manifest: dict[str, Any], catalog: dict[str, Any]) -> dict[str, Any]:
    """Replace the published documents with ones written here, add an earlier period of the open dataset (its
    file, document and register record, as publish writes them); return the open dataset's two records."""
    storage = Storage(str(root / "build" / "storage"))
    records = {record.dataset: record for record in stored_records(storage, "sykefravaer")}
    found: dict[str, Any] = {}
    for dataset in published_datasets(manifest):
        text = datadoc_document(dataset, catalog)
        storage.replace(dataset.storage_path.with_name(f"{dataset.stem}__DOC.json"), text.encode("utf-8"))
        if dataset.model == "sykefravaer":  # a period published earlier: no longer in the project, still stored
            earlier = dataset.stem.replace("2024", "2023")
            path = dataset.storage_path.with_name(f"{earlier}.parquet")
            storage.replace(path.with_name(f"{earlier}__DOC.json"), text.replace(dataset.stem, earlier).encode())
            storage.write_new(path, storage.read_bytes(dataset.storage_path))
            record = Record.from_row(
                {
                    **records[dataset.stem].__dict__,
                    "dataset": earlier,
                    "period_from": "2023-Q1",
                    "period_to": "2023-Q4",
                    "file_path": str(path),
                    "content_checksum": hashlib.sha256(b"2023").hexdigest(),
                    "git_commit": "0123456789abcdef0123",
                    "published_at": "2025-01-05T08:00:00",
                }
            )
            storage.write_new(record_path("sykefravaer", "utdata", earlier), record.to_json().encode("utf-8"))
            found = {"current": records[dataset.stem], "earlier": record}
    return found


@pytest.fixture(scope="module")
def site(example_duckdb: BuiltExample, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the built example with a logged run, documents, data and a register; the site built from it."""
    root = tmp_path_factory.mktemp("katalog") / "project"
    shutil.copytree(example_duckdb.root, root, ignore=shutil.ignore_patterns("logs"))
    logged = run_job(root, "duckdb", clean_env(), rows=20_000, batches=3)  # same raw data: a build, logged
    assert logged.returncode == 0, logged.stderr[-3000:]
    manifest = json.loads((example_duckdb.root / "target" / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((example_duckdb.root / "target" / "catalog.json").read_text(encoding="utf-8"))
    record = rewrite_documents(root, manifest, catalog)
    result = run_cli(root, "catalog")
    index = root / "build" / "catalog" / "site" / "index.html"
    assert str(index) in result.stdout
    return {"root": root, "index": index, "record": record}


@pytest.fixture(scope="module")
def server(site: dict[str, Any]) -> Iterator[str]:
    """``python -m http.server`` serving the build folder, as docs/catalog.md tells users to."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(site["root"] / "build")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def search_and_open_dataset(page: Any, url: str, screenshot: str) -> None:
    """The journey: search a variable, open its dataset, see versions, lineage and run status."""
    page.goto(url)
    assert page.locator("article.card").count() == 3
    page.fill("#sok", "person_pseudonym")
    cards = page.locator("article.card")
    assert cards.count() == 1
    assert cards.first.get_attribute("data-dataset") == "sykefravaer_person"
    assert "Treff i variabler: person_pseudonym" in cards.first.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{screenshot}-search.png"), full_page=True)

    cards.first.locator("h2 a").click()
    page.wait_for_selector("#datasett")
    assert page.locator("#datasett h1").inner_text() == TITLES["sykefravaer_person"]
    row = page.locator("#variabel-person_pseudonym").inner_text()
    assert "Identifikator" in row and "Personopplysning, pseudonymisert" in row and "Tekst" in row
    versions = page.locator("#versjoner tbody tr")
    assert versions.count() == 1
    version_text = versions.first.inner_text()
    assert "v1" in version_text and "2024-Q1 \u2013 2024-Q4" in version_text and "Vellykket" in version_text
    doc_link = versions.first.locator("a", has_text="__DOC.json")
    assert doc_link.get_attribute("href") == (
        "../../storage/sykefravaer/klargjorte-data/sykefravaer-person_p2024-Q1_p2024-Q4_v1__DOC.json"
    )
    lineage = page.locator("#avstamning").inner_text()
    assert "int_arbeidsforhold_kvartal" in lineage and "aareg.arbeidsforhold" in lineage
    assert "Vellykket" in page.locator("#kjoring").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"{screenshot}-dataset.png"), full_page=True)

    # a variable hit leads straight to the variable's row
    page.go_back()
    page.locator("article.card .hits a", has_text="person_pseudonym").click()
    page.wait_for_selector("#variabel-person_pseudonym.valgt")
    assert page.locator("#variabel-person_pseudonym").is_visible()

    # downstream lineage leads on to the statistics built from it
    page.locator("#avstamning a", has_text="sykefravaersprosent v1").click()
    page.wait_for_selector("#datasett[data-dataset='sykefravaersprosent']")
    assert page.errors == []


def test_catalog_from_disk(site: dict[str, Any], page: Any) -> None:
    search_and_open_dataset(page, site["index"].as_uri(), "catalog-file")


def test_catalog_over_http(site: dict[str, Any], server: str, page: Any) -> None:
    search_and_open_dataset(page, f"{server}/catalog/site/index.html", "catalog-http")
    # the open dataset: its data file and document are served from the links, and the register record shows
    page.goto(f"{server}/catalog/site/index.html#/datasett/sykefravaer")
    page.wait_for_selector("#datasett")
    rows = page.locator("#versjoner tbody tr")
    assert rows.count() == 2
    earlier, record = rows.nth(1), site["record"]["earlier"]
    assert "2023-Q1 \u2013 2023-Q4" in earlier.inner_text()  # still listed, with its own data file
    assert earlier.locator("a", has_text="sykefravaer_p2023-Q1_p2023-Q4_v1.parquet").count() == 1
    assert "0123456789ab" in earlier.inner_text() and record.content_checksum[:16] in earlier.inner_text()
    row, record = rows.first, site["record"]["current"]
    assert f"{record.row_count:,}".replace(",", "\u00a0") in row.inner_text().replace(" ", "\u00a0")
    assert record.content_checksum[:16] in row.inner_text()
    for name in ("sykefravaer_p2024-Q1_p2024-Q4_v1.parquet", "sykefravaer_p2024-Q1_p2024-Q4_v1__DOC.json"):
        href = row.locator("a", has_text=name).get_attribute("href")
        response = page.request.get(f"{server}/catalog/site/{href}")
        assert response.status == 200, href
    latest = page.locator("#versjoner-seksjon p a").get_attribute("href")
    assert page.request.get(f"{server}/catalog/site/{latest}").status == 200
    assert page.errors == []


@pytest.mark.parametrize(
    ("select", "value", "expected"),
    [
        ("#filter-tilstand", "OUTPUT_DATA", ["sykefravaer"]),
        ("#filter-tilstand", "PROCESSED_DATA", ["sykefravaer_person"]),
        ("#filter-vurdering", "PROTECTED", ["sykefravaer_person", "sykefravaersprosent"]),
        ("#filter-status", "EXTERNAL", ["sykefravaer"]),
    ],
)
def test_filters(site: dict[str, Any], page: Any, select: str, value: str, expected: list[str]) -> None:
    page.goto(site["index"].as_uri())
    page.select_option(select, value)
    shown = page.locator("article.card").evaluate_all("cards => cards.map(card => card.dataset.dataset)")
    assert sorted(shown) == expected
    # the choice is kept in the address, so a filtered view can be shared and reloaded
    page.reload()
    assert page.locator(select).input_value() == value


def test_search_ignores_case_and_accents(site: dict[str, Any], page: Any) -> None:
    page.goto(site["index"].as_uri())
    page.fill("#sok", "APEN TABELL")  # "Åpen tabell" in the description
    assert page.locator("article.card").evaluate_all("cards => cards.map(c => c.dataset.dataset)") == ["sykefravaer"]
    page.fill("#sok", "ingen slike ord")
    assert page.locator("#resultater").inner_text() == "Ingen datasett passer søket."


def test_text_from_metadata_is_never_markup(site: dict[str, Any], page: Any) -> None:
    page.goto(site["index"].as_uri() + "#/datasett/sykefravaersprosent")
    page.wait_for_selector("#datasett")
    assert INJECTION in page.locator("#variabel-kvartal").inner_text()
    assert page.locator("#variabel-kvartal img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def test_embedded_json_cannot_close_its_script() -> None:
    text = embed({"description": "</script><script>alert(1)</script> & more"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"description": "</script><script>alert(1)</script> & more"}


@pytest.mark.parametrize(
    ("variable", "meta", "expected"),
    [
        ({}, {}, "NOT_PERSONAL_DATA"),
        ({"is_personal_data": False}, {}, "NOT_PERSONAL_DATA"),
        ({"is_personal_data": True}, {}, "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"),
        (
            {"is_personal_data": True, "pseudonymization": {"encryption_algorithm": "TINK-DAEAD"}},
            {},
            "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA",
        ),
        (
            {"is_personal_data": True},
            {"is_personal_data": "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"},
            "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA",
        ),
    ],
)
def test_personal_data_class(variable: dict[str, Any], meta: dict[str, Any], expected: str) -> None:
    assert _personal(variable, meta) == expected


@pytest.mark.parametrize(
    ("warehouse_type", "datadoc"),
    [
        ("VARCHAR", "STRING"),
        ("character varying(100)", "STRING"),
        ("INTEGER", "INTEGER"),
        ("bigint", "INTEGER"),
        ("DECIMAL(28,6)", "FLOAT"),
        ("numeric(28,6)", "FLOAT"),
        ("DOUBLE", "FLOAT"),
        ("DATE", "DATETIME"),
        ("timestamp without time zone", "DATETIME"),
        ("BOOLEAN", "BOOLEAN"),
    ],
)
def test_warehouse_types_map_to_datadoc(warehouse_type: str, datadoc: str) -> None:
    assert datadoc_type(column_kind(warehouse_type)) == datadoc


def test_the_register_is_read_as_publish_writes_it(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path))
    record = Record(
        *("sykefravaer_p2024_v1", "sykefravaer", 1, "sykefravaer", "OUTPUT_DATA", "2024", "", "s_utdata"),
        *("sykefravaer_p2024_v1", "sykefravaer/utdata/sykefravaer_p2024_v1.parquet", 10, "ab", "cd", "ef"),
        *("c0ffee", "2026-01-01T08:00:00"),
    )
    storage.write_new(record_path("sykefravaer", "utdata", record.dataset), record.to_json().encode("utf-8"))
    assert register_records(storage, "sykefravaer") == {"sykefravaer_p2024_v1": record}
    assert register_records(storage, "annet_produkt") == {}


@pytest.mark.parametrize(
    ("stem", "parts"),
    [
        ("sykefravaer_p2024-Q1_p2024-Q4_v1", ("sykefravaer", "2024-Q1", "2024-Q4", 1)),
        ("omsetning_p2020-W15_v1", ("omsetning", "2020-W15", None, 1)),
        ("sykefravaer_p2024-Q1_p2024-Q4", ("sykefravaer", "2024-Q1", "2024-Q4", None)),
        ("skjema_p2024-12-31T23-59-30.000_v3", ("skjema", "2024-12-31T23-59-30.000", None, 3)),
    ],
)
def test_dataset_stems_are_read_back(stem: str, parts: tuple[Any, ...]) -> None:
    parsed = parse_stem(stem)
    assert parsed is not None
    assert (parsed["description"], parsed["period_from"], parsed["period_to"], parsed["version"]) == parts


def test_catalog_without_documents_or_register_uses_the_manifest(example_duckdb: BuiltExample, tmp_path: Path) -> None:
    import duckdb

    # the example as it was before anything was published: no documents, no files, no register
    root = tmp_path / "project"
    shutil.copytree(example_duckdb.root, root, ignore=shutil.ignore_patterns("logs", "storage", "catalog"))
    with duckdb.connect(str(root / "build" / "sykefravaer.duckdb")) as connection:
        connection.execute("drop schema if exists publisering cascade")
    out = tmp_path / "site"
    result = run_cli(root, "catalog", "--out", str(out))
    assert str(out / "index.html") in result.stdout
    data = json.loads((out / "katalog.json").read_text(encoding="utf-8"))
    assert [dataset["id"] for dataset in data["datasets"]] == [
        "sykefravaer_person",
        "sykefravaersprosent",
        "sykefravaer",
    ]
    assert data["register"] is False
    person = data["datasets"][0]
    assert person["metadata_from"] == "dbt" and person["contains_personal_data"] is True
    assert person["versions"][0]["doc_exists"] is False and person["versions"][0]["published"] is None
