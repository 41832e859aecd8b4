"""Code lists: the links in the form Statistics Norway's reader stores, the version comparison, the lists shipped in
codelists/ and their refresh from a KLASS-shaped API served here, and the metadata gate planted with a wrong code in
every coded field."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc import code_lists, links
from dataprodukt.datadoc.code_list_refresh import parse_add, refresh
from dataprodukt.datadoc.completeness import reader_percentage
from dataprodukt.datadoc.version_changes import Shape, compare
from tests.conftest import REPO, clean_env, run_cli
from tests.support.http_server import Answer, Request, serve

# (written in meta, stored)
CLASSIFICATION_LINKS = [
    ("https://www.ssb.no/klass/klassifikasjoner/104", "urn:ssb:classification:klass:104"),
    ("https://www.ssb.no/en/klass/klassifikasjoner/104", "urn:ssb:classification:klass:104"),
    ("https://data.ssb.no/api/klass/v1/classifications/104", "urn:ssb:classification:klass:104"),
    ("https://www.ssb.no/klass/klassifikasjoner/104/versjon/2030", "urn:ssb:classification:klass:104"),
    ("urn:ssb:classification:klass:6", "urn:ssb:classification:klass:6"),
    ("131", "urn:ssb:classification:klass:131"),
    ("https://example.org/codes/104", "https://example.org/codes/104"),
]
DEFINITION_LINKS = [
    ("https://metadata.ssb.no/variable-definitions/AbCd12_-", "urn:ssb:variable-definition:vardef:AbCd12_-"),
    ("https://catalog.intern.test.ssb.no/variable-definitions/wypvb3wd", "urn:ssb:variable-definition:vardef:wypvb3wd"),
    ("urn:ssb:variable-definition:vardef:wypvb3wd", "urn:ssb:variable-definition:vardef:wypvb3wd"),
    (
        "https://www.ssb.no/a/metadata/conceptvariable/vardok/1919/nb",
        "https://www.ssb.no/a/metadata/conceptvariable/vardok/1919/nb",
    ),
]


@pytest.mark.parametrize(("written", "stored"), CLASSIFICATION_LINKS)
def test_classification_links_are_stored_as_the_readers_urns(written: str, stored: str) -> None:
    assert links.classification_urn(written) == stored


@pytest.mark.parametrize(("written", "stored"), DEFINITION_LINKS)
def test_definition_links_are_stored_as_the_readers_urns(written: str, stored: str) -> None:
    assert links.definition_urn(written) == stored


def test_urns_open_as_pages_in_the_browser() -> None:
    assert links.browser_url("urn:ssb:classification:klass:104") == "https://www.ssb.no/klass/klassifikasjoner/104"
    assert links.browser_url("urn:ssb:variable-definition:vardef:wypvb3wd") == (
        "https://metadata.ssb.no/variable-definitions/wypvb3wd"
    )


def _shape(name: str, kind: str = "FLOAT", text: str = "", definition: str = "", renamed_from: str = "") -> Shape:
    return Shape(name, kind, text, definition, renamed_from)


# (before, after, expected as_dict without "previous")
CHANGES = [
    ([_shape("a"), _shape("b")], [_shape("a"), _shape("c")], {"added": ["c"], "removed": ["b"]}),
    ([_shape("a", text="Antall.")], [_shape("antall", text="Antall.")], {"renamed": [("a", "antall")]}),
    ([_shape("a", definition="urn:x")], [_shape("b", definition="urn:x")], {"renamed": [("a", "b")]}),
    ([_shape("a")], [_shape("b", renamed_from="a")], {"renamed": [("a", "b")]}),
    ([_shape("a", "STRING")], [_shape("a", "INTEGER")], {"retyped": [("a", "STRING", "INTEGER")]}),
    ([_shape("a", "STRING", "X.")], [_shape("b", "INTEGER", "X.")], {"added": ["b"], "removed": ["a"]}),
    (
        [_shape("a", text="X."), _shape("b", text="X.")],
        [_shape("c", text="X.")],
        {"added": ["c"], "removed": ["a", "b"]},
    ),
]


@pytest.mark.parametrize(("before", "after", "expected"), CHANGES)
def test_versions_are_compared_by_their_variables(
    before: list[Shape], after: list[Shape], expected: dict[str, Any]
) -> None:
    found = compare(1, before, after).as_dict()
    assert [item["name"] for item in found["added"]] == expected.get("added", [])
    assert [item["name"] for item in found["removed"]] == expected.get("removed", [])
    assert [(item["from"], item["to"]) for item in found["renamed"]] == expected.get("renamed", [])
    assert [(i["name"], i["from"], i["to"]) for i in found["retyped"]] == expected.get("retyped", [])


def test_the_same_variables_say_so() -> None:
    assert compare(3, [_shape("a")], [_shape("a")]).text() == "Ny versjon av versjon 3: de samme variablene."


def test_completeness_is_counted_as_statistics_norways_reader_counts() -> None:
    # 14 dataset fields and 8 per variable; owner, contains_personal_data, variable_role and is_personal_data always
    # count as filled (the reader fills them on load); an empty text list counts as filled, [{"": ""}] not for name
    dataset = {
        "name": [{"languageCode": "nb", "languageText": "Navn"}],
        "description": [{"languageCode": "nb", "languageText": ""}],
    }
    variables = [{"name": [{"languageCode": "nb", "languageText": ""}], "population_description": []}]
    assert reader_percentage(dataset, variables) == round(100 * (3 + 3) / (14 + 8))


def test_the_shipped_lists_name_the_examples_codes() -> None:
    lists = code_lists.load(REPO)
    assert lists.get("unit_type").label("20") == "Person"  # type: ignore[union-attr]
    assert lists.get("unit_type").label("19") == "Lovbrudd"  # type: ignore[union-attr]
    assert lists.get("subject_field").label("al04") == "Arbeid og lønn / Arbeidsmiljø, sykefravær og arbeidskonflikter"  # type: ignore[union-attr]
    assert lists.get("data_source") is None  # KLASS 712 could not be established offline: not checked until refreshed
    problem = lists.check("m", None, "unit_type", "Person")
    assert problem is not None and [code.code for code in problem.closest] == ["20"]


# (field, value written, the closest codes the shipped lists suggest)
CLOSEST = [
    ("unit_type", "2O", ["20", "02", "12"]),  # the letter O for a zero first, then by spelling in list order
    ("unit_type", "person", ["20"]),  # a code's name
    ("subject_field", "AL04", ["al04", "bf04", "he04"]),
    ("subject_field", "al4", ["al04", "al", "al03"]),
    ("subject_field", "sykefravær", []),
]


@pytest.mark.parametrize(("field", "value", "expected"), CLOSEST)
def test_a_wrong_code_suggests_the_closest(field: str, value: str, expected: list[str]) -> None:
    problem = code_lists.load(REPO).check("m", None, field, value)
    assert problem is not None and [code.code for code in problem.closest] == expected
    if not expected:
        assert problem.rule.endswith("see the 108 codes in codelists/klass-618-statistikkomraader.json")


CODES: dict[int, tuple[str, str, list[tuple[str, str, str | None]]]] = {
    # id -> (name, version, codes); shaped like KLASS's API, values made up for the test
    702: ("Standard for enhetstyper", "Enhetstyper 2025", [("12", "Foretak", None), ("20", "Person", None)]),
    618: ("Statistikkområder", "Emner 2025", [("al", "Arbeid og lønn", None), ("al04", "Sykefravær", "al")]),
    712: ("Datakilder", "Datakilder 2025", [("AAREG", "Aa-registeret", None), ("SYKM", "Sykmeldingsregisteret", None)]),
}
CATALOGUE = [(6, "Standard for næringsgruppering"), (104, "Standard for fylkesinndeling"), (702, "Enhetstyper")]


def klass_api(request: Request) -> Answer:
    """A KLASS-shaped API: /classifications (two pages), /classifications/<id>, /classifications/<id>/codes."""
    url = urlparse(request.path)
    query = parse_qs(url.query)
    body: Any
    if url.path == "/api/klass/v1/classifications":
        page = int(query["page"][0])
        items = [
            {"name": name, "_links": {"self": {"href": f"https://data.ssb.no/api/klass/v1/classifications/{klass}"}}}
            for klass, name in CATALOGUE[page * 2 : page * 2 + 2]
        ]
        body = {"_embedded": {"classifications": items}, "page": {"totalPages": 2, "number": page}}
    elif found := re.fullmatch(r"/api/klass/v1/classifications/(\d+)(/codes)?", url.path):
        klass = int(found[1])
        if klass not in CODES:
            return 404, "application/json", b'{"error": "not found"}'
        name, version, codes = CODES[klass]
        if found[2]:
            assert query["from"] == [date.today().isoformat()]
            body = {"codes": [{"code": c, "name": n, "parentCode": p, "level": "2" if p else "1"} for c, n, p in codes]}
        else:
            body = {
                "id": klass,
                "name": name,
                "versions": [{"name": version, "validFrom": "2025-01-01", "validTo": None}],
            }
    else:
        return 404, "application/json", b"{}"
    return 200, "application/json;charset=UTF-8", json.dumps(body, ensure_ascii=False).encode()


def _lists(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


def test_refresh_rewrites_every_list_from_klass(tmp_path: Path) -> None:
    shutil.copytree(REPO / "codelists", tmp_path / "codelists")
    with serve(klass_api) as server:
        written = refresh(tmp_path, [(712, "data_source")], server.url + "/api/klass/v1")
    assert written == [
        "codelists/klass-618-statistikkomraader.json",
        "codelists/klass-702-enhetstyper.json",
        "codelists/klass-712-data-source.json",
        "codelists/klass-klassifikasjoner.json",
    ]
    found = _lists(tmp_path / "codelists")
    units = found["klass-702-enhetstyper.json"]
    assert (units["name"], units["version"], units["retrieved"]) == (
        "Standard for enhetstyper",
        "Enhetstyper 2025",
        date.today().isoformat(),
    )
    assert [code["code"] for code in units["codes"]] == ["12", "20"]
    assert found["klass-618-statistikkomraader.json"]["codes"][1]["parent"] == "al"
    assert found["klass-712-data-source.json"]["field"] == "data_source"
    assert [code["code"] for code in found["klass-klassifikasjoner.json"]["codes"]] == ["6", "104", "702"]
    assert code_lists.load(tmp_path).get("data_source").label("AAREG") == "Aa-registeret"  # type: ignore[union-attr]


def test_a_failed_refresh_writes_nothing(tmp_path: Path) -> None:
    shutil.copytree(REPO / "codelists", tmp_path / "codelists")
    before = _lists(tmp_path / "codelists")
    with (
        serve(klass_api) as server,
        pytest.raises(
            UserError, match=r"KLASS: GET .*/classifications/999\?language=nb answered 404: .*check the KLASS id"
        ),
    ):
        refresh(tmp_path, [(999, "data_source")], server.url + "/api/klass/v1")
    assert _lists(tmp_path / "codelists") == before
    with pytest.raises(UserError, match="--add 'x:unit_type': write KLASS_ID:FIELD"):
        parse_add(["x:unit_type"])


@pytest.mark.slow
def test_the_gate_names_every_wrong_code_with_the_closest_ones(project_copy: Path) -> None:
    with serve(klass_api) as server:
        url = server.url + "/api/klass/v1"
        result = run_cli(project_copy, "codelists", "refresh", "--klass-url", url, "--add", "712:data_source")
    assert "code lists refreshed from" in result.stdout
    models = project_copy / "models"
    source = 'data_source: "Aa-registeret, sykmeldingsregisteret og Enhetsregisteret (syntetiske data)"'
    for path in models.glob("*/_*.yml"):
        text = path.read_text(encoding="utf-8")
        if source in text:
            path.write_text(text.replace(source, 'data_source: "AAREG"'), encoding="utf-8")
    plants = [
        ("statistikk/_sykefravaersprosent.yml", 'unit_type: "20"', 'unit_type: "2O"'),
        ("statistikk/_sykefravaersprosent.yml", 'subject_field: "al04"', 'subject_field: "al4"'),
        ("utdata/_sykefravaer.yml", "temporality_type: ACCUMULATED", "temporality_type: ACCUMULATE"),
        ("utdata/_sykefravaer.yml", "meta: {variable_role: START_TIME}", "meta: {variable_role: START}"),
        ("utdata/_sykefravaer.yml", 'data_source: "AAREG"', 'data_source: "AAREGG"'),
        ("klargjorte_data/_sykefravaer_person.yml", "klassifikasjoner/104", "klassifikasjoner/105"),
    ]
    for file, old, new in plants:
        path = models / file
        text = path.read_text(encoding="utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    check = run_cli(project_copy, "check", "--only", "metadata", env=clean_env(), check=False)
    out = check.stdout
    assert check.returncode == 1, out + check.stderr
    lines = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    expected = [
        "sykefravaersprosent_v1 (models/statistikk/_sykefravaersprosent.yml): unit_type: '2O' is not a code in "
        "KLASS 702 "
        "(Standard for enhetstyper, Enhetstyper 2025, codelists/klass-702-enhetstyper.json); closest: 20 (Person), "
        "12 (Foretak)",
        "sykefravaersprosent_v1 (models/statistikk/_sykefravaersprosent.yml): subject_field: 'al4' is not a code in "
        "KLASS 618 (Statistikkområder, Emner 2025, codelists/klass-618-statistikkomraader.json); closest: al04 "
        "(Sykefravær), al (Arbeid og lønn)",
        "sykefravaer_v1 (models/utdata/_sykefravaer.yml): temporality_type: meta value 'ACCUMULATE' is not one of "
        "FIXED, "
        "STATUS, ACCUMULATED, EVENT; closest: ACCUMULATED",
        "sykefravaer_v1 (models/utdata/_sykefravaer.yml): column kvartal: variable_role: meta value 'START' is not one "
        "of IDENTIFIER, MEASURE, START_TIME, STOP_TIME, ATTRIBUTE; closest: START_TIME, STOP_TIME",
        "sykefravaer_v1 (models/utdata/_sykefravaer.yml): data_source: 'AAREGG' is not a code in KLASS 712 "
        "(Datakilder, "
        "Datakilder 2025, codelists/klass-712-data-source.json); closest: AAREG (Aa-registeret)",
        "sykefravaer_person_v1 (models/klargjorte_data/_sykefravaer_person.yml): column fylkesnummer: "
        "classification_uri: '105' is not a code in KLASS-klassifikasjoner (codelists/klass-klassifikasjoner.json); "
        "closest: 104 (Standard for fylkesinndeling)",
    ]
    for line in expected:
        assert line in lines, f"{line}\nnot in:\n" + "\n".join(lines)
