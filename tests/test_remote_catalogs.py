"""The catalogs people open (NAV's dbt docs host, NAV's data marketplace) against a local HTTP server started here:
method, path, headers, token and body as the services expect them; retries; one clear line on a refusal; nothing
sent unless configured."""

from __future__ import annotations

import json
import shutil
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc import http_client, nav_marketplace, remote_catalogs
from tests.conftest import BuiltExample, clean_env, run_cli
from tests.support.http_server import Answer, Request, serve

TOKEN = "s3cret-token-from-the-environment"
OK: Answer = (200, "application/json", b'{"status": "updated"}')


def _form(request: Request) -> dict[str, tuple[str | None, bytes]]:
    """The multipart/form-data fields of a request: name -> (file name, bytes)."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    assert message.is_multipart()
    return {
        str(part.get_param("name", header="content-disposition")): (part.get_filename(), part.get_payload(decode=True))
        for part in message.iter_parts()
    }


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(http_client, "time", SimpleNamespace(sleep=waits.append))
    return waits


def test_nothing_is_sent_unless_configured(tmp_path: Path) -> None:
    with serve(lambda request: OK) as server:
        assert remote_catalogs.push({}, "sykefravaer", {}, tmp_path) == []
        assert remote_catalogs.push({"catalogs": {"nav_dbt_docs": {"enabled": False}}}, "p", {}, tmp_path) == []
        assert server.requests == []


@pytest.mark.parametrize(
    ("catalogs", "message"),
    [
        ({"nav_dbt_docs": {"url": "http://x"}}, "vars catalogs.nav_dbt_docs in dbt_project.yml: set team"),
        ({"dbt_cloud": {}}, "unknown catalog 'dbt_cloud': choose from nav_dbt_docs, nav_datamarkedsplassen"),
        ({"nav_datamarkedsplassen": {"url": "http://x"}}, "set dataproduct_id, bigquery_project"),
    ],
)
def test_a_wrong_configuration_says_what_to_set(catalogs: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=message):
        remote_catalogs.configured({"catalogs": catalogs})


@pytest.mark.slow
def test_the_dbt_docs_site_is_put_as_navs_service_expects(
    example_duckdb: BuiltExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = example_duckdb.root / "target"
    monkeypatch.setenv("DBT_DOCS_TOKEN", TOKEN)
    with serve(lambda request: OK) as server:
        config = {"nav_dbt_docs": {"url": server.url + "/", "team": "team-sykefravaer", "token_env": "DBT_DOCS_TOKEN"}}
        lines = remote_catalogs.push({"catalogs": config}, "sykefravaer", {}, target)
    assert lines == [f"dbt docs site -> {server.url}/docs/team-sykefravaer/sykefravaer"]
    [request] = server.requests
    assert (request.method, request.path) == ("PUT", "/docs/team-sykefravaer/sykefravaer")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    form = _form(request)
    assert {name: filename for name, (filename, _data) in form.items()} == {
        "index.html": "index.html",
        "manifest.json": "manifest.json",
        "catalog.json": "catalog.json",
    }
    assert form["index.html"][1] == (target / "index.html").read_bytes()
    assert form["catalog.json"][1] == (target / "catalog.json").read_bytes()
    sent = json.loads(form["manifest.json"][1])
    assert set(sent["nodes"]) == set(json.loads((target / "manifest.json").read_bytes())["nodes"])
    # compiled SQL (the warehouse's relations, the key table's name) never leaves the build
    assert not any("compiled_code" in node for node in sent["nodes"].values())


def _marketplace(datasets: dict[str, str]) -> Any:
    """A marketplace answering its data product with these datasets (name -> id), taking creates and updates."""

    def answer(request: Request) -> Answer:
        if request.method == "GET":
            listed = [{"id": ident, "name": name, "slug": name} for name, ident in datasets.items()]
            return 200, "application/json", json.dumps({"id": "dp-1", "name": "p", "datasets": listed}).encode()
        return 201 if request.method == "POST" else 200, "application/json", b"{}"

    return answer


@pytest.mark.slow
def test_the_marketplace_gets_each_models_pii_level_and_column_tags(
    example_duckdb: BuiltExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = json.loads((example_duckdb.root / "target" / "manifest.json").read_bytes())
    monkeypatch.setenv("MARKED_TOKEN", TOKEN)
    with serve(_marketplace({"sykefravaer_person": "ds-7"})) as server:
        config = {
            "url": server.url,
            "dataproduct_id": "00000000-0000-0000-0000-000000000001",
            "bigquery_project": "team-sykefravaer-prod-1234",
            "token_env": "MARKED_TOKEN",
        }
        lines = remote_catalogs.push({"catalogs": {"nav_datamarkedsplassen": config}}, "sykefravaer", manifest, Path())
    assert f"dataset description sykefravaer_person updated -> {server.url}" in lines
    read, *sent = server.requests
    assert (read.method, read.path) == ("GET", f"/api/dataproducts/{config['dataproduct_id']}")
    assert sorted((request.method, request.path) for request in sent) == [
        ("POST", "/api/datasets/new"),
        ("POST", "/api/datasets/new"),
        ("PUT", "/api/datasets/ds-7"),  # the dataset the data product has is updated, not added again
    ]
    bodies = {}
    for request in server.requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        if request.method == "POST":
            assert request.headers["Content-Type"] == "application/json"
            body = json.loads(request.body)
            bodies[body["bigquery"]["table"]] = body
        elif request.method == "PUT":
            update = json.loads(request.body)
    assert sorted(bodies) == ["sykefravaer", "sykefravaersprosent"]
    assert "bigquery" not in update and update["dataproductID"] == config["dataproduct_id"]
    assert update["pii"] == "sensitive" and update["name"] == "sykefravaer_person"
    tags = json.loads(update["piiTags"])
    assert tags["person_pseudonym"] == nav_marketplace.INDIRECT
    assert set(tags) == {
        name.lower() for name in manifest["nodes"]["model.sykefravaer.sykefravaer_person.v1"]["columns"]
    }
    assert "fodselsnummer" not in tags  # the national id never reaches the published table
    person = nav_marketplace.descriptions(manifest, remote_catalogs._classes(manifest), config)
    [created] = [body for body in person if body["name"] == "sykefravaer_person"]
    assert created["bigquery"]["projectID"] == "team-sykefravaer-prod-1234"
    assert created["bigquery"]["dataset"] == "sykefravaer_klargjorte_data"
    for aggregate in ("sykefravaersprosent", "sykefravaer"):  # built from personal data, aggregated and suppressed
        assert bodies[aggregate]["pii"] == "anonymised" and bodies[aggregate]["anonymisationDescription"]
        assert bodies[aggregate]["bigquery"]["piiTags"] is None
    assert "sykefravær" in bodies["sykefravaer"]["keywords"]


def test_a_direct_identifier_is_tagged_directly_identifying() -> None:
    dataset = SimpleNamespace(unique_id="model.p.m.v1", node={"columns": {"fnr": {}, "antall": {}}})
    classes = {
        ("model.p.m.v1", "fnr"): ("NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA", "stg.fnr"),
        ("model.p.m.v1", "antall"): ("NOT_PERSONAL_DATA", None),
    }
    level, tags = nav_marketplace.pii({"parent_map": {}}, classes, dataset)  # type: ignore[arg-type]
    assert (level, tags) == ("sensitive", {"fnr": nav_marketplace.DIRECT, "antall": nav_marketplace.INDIRECT})
    plain = {("model.p.m.v1", "antall"): ("NOT_PERSONAL_DATA", None)}
    assert nav_marketplace.pii({"parent_map": {}}, plain, dataset) == ("none", {})  # type: ignore[arg-type]


def test_server_errors_are_retried_then_succeed(no_waiting: list[float]) -> None:
    answers = iter([(503, "text/plain", b"busy"), (502, "text/plain", b"gateway"), OK])
    with serve(lambda request: next(answers)) as server:
        response = http_client.request("PUT", server.url + "/docs/t/p", b"x", token=TOKEN)
    assert response.status == 200 and len(server.requests) == 3
    assert no_waiting == [0.5, 1.0]


def test_a_service_that_keeps_failing_gives_one_clear_line(no_waiting: list[float]) -> None:
    failing: Answer = (500, "text/plain", b"internal error")
    with serve(lambda request: failing) as server, pytest.raises(UserError) as raised:
        http_client.request("PUT", server.url + "/docs/t/p", b"x", token=TOKEN, what="NAV's dbt docs")
    assert len(server.requests) == 1 + http_client.RETRIES
    assert str(raised.value) == (
        f"NAV's dbt docs: PUT {server.url}/docs/t/p answered 500 (after 4 attempts): internal error; "
        "the service failed: try again later"
    )


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (401, "check the token"),
        (403, "check the token"),
        (404, "check the configuration (vars catalogs in dbt_project.yml)"),
        (302, "the address moved: configure the new one"),
    ],
)
def test_a_refusal_is_not_retried_and_never_shows_the_token(status: int, advice: str, no_waiting: list[float]) -> None:
    refused: Answer = (status, "application/json", b'{"message": "no"}')
    with serve(lambda request: refused) as server, pytest.raises(UserError) as raised:
        http_client.request("POST", server.url + "/api/datasets/new", b"{}", token=TOKEN)
    assert [request.path for request in server.requests] == ["/api/datasets/new"]  # once, and no redirect followed
    message = str(raised.value)
    assert f"answered {status}: " in message and message.endswith(advice)
    assert TOKEN not in message and no_waiting == []


def test_an_unreachable_service_is_retried_and_named(no_waiting: list[float]) -> None:
    with serve(lambda request: OK) as server:
        url = server.url
    with pytest.raises(UserError, match=rf"PUT {url}/x failed \(after 4 attempts\): .*check the address"):
        http_client.request("PUT", url + "/x", b"")
    assert len(no_waiting) == 3


def test_a_token_variable_that_is_not_set_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DBT_DOCS_TOKEN", raising=False)
    config = {"nav_dbt_docs": {"url": "http://127.0.0.1:9", "team": "t", "token_env": "DBT_DOCS_TOKEN"}}
    for name in ("index.html", "manifest.json", "catalog.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    with pytest.raises(UserError, match="the environment variable DBT_DOCS_TOKEN \\(token_env\\) is not set"):
        remote_catalogs.push({"catalogs": config}, "p", {}, tmp_path)


@pytest.mark.slow
def test_dataprodukt_push_reads_the_configuration_from_dbt_project_yml(
    example_duckdb: BuiltExample, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(example_duckdb.root / "target", project / "target")
    settings = yaml.safe_load((example_duckdb.root / "dbt_project.yml").read_text(encoding="utf-8"))
    with serve(_marketplace({})) as server:
        settings["vars"]["catalogs"] = {
            "nav_dbt_docs": {"url": server.url, "team": "team-sykefravaer", "token_env": "DBT_DOCS_TOKEN"},
            "nav_datamarkedsplassen": {
                "url": server.url,
                "dataproduct_id": "dp-1",
                "bigquery_project": "team-prod",
            },
        }
        (project / "dbt_project.yml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
        dry = run_cli(project, "push", "--dry-run", env=clean_env(DBT_DOCS_TOKEN=TOKEN))
        assert server.requests == []
        assert (
            f"would PUT index.html, manifest.json, catalog.json to {server.url}/docs/team-sykefravaer/sykefravaer"
            in (dry.stdout)
        )
        sent = run_cli(project, "push", env=clean_env(DBT_DOCS_TOKEN=TOKEN))
    assert [(request.method, request.path) for request in server.requests] == [
        ("PUT", "/docs/team-sykefravaer/sykefravaer"),
        ("GET", "/api/dataproducts/dp-1"),
        *[("POST", "/api/datasets/new")] * 3,
    ]
    assert "Authorization" not in server.requests[1].headers  # no token_env: no token
    assert sent.stdout.count("dataset description") == 3
