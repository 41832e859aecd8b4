"""Storage roots, local and gs:// (on the Cloud Storage emulator): a versioned file is written once and the store
itself refuses a second writer, two racing writers leave exactly the winner's bytes, and every failure is one line
naming the bucket or object and what to do."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path, PurePosixPath

import pytest

from dataprodukt.core.errors import UserError
from dataprodukt.core.storage import AlreadyStored, Storage
from dataprodukt.core.storage_emulator import HOST_VARIABLE, EmulatorServer
from tests.bigquery.conftest import free_port
from tests.conftest import REPO, clean_env, copy_project, run_cli


@pytest.fixture
def bucket_root(gcs_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A bucket of this test's own, as a storage root."""
    monkeypatch.setenv(HOST_VARIABLE, gcs_emulator.endpoint)
    return gcs_emulator.create_bucket(f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["local", "gs"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "storage")
    return str(request.getfixturevalue("bucket_root"))


def test_a_versioned_file_is_written_once_and_the_rest_is_replaced(root: str) -> None:
    storage = Storage(root)
    storage.write_new("produkt/utdata/data_p2024_v1.parquet", b"first")
    with pytest.raises(AlreadyStored, match=r"data_p2024_v1\.parquet exists already and is never replaced"):
        storage.write_new("produkt/utdata/data_p2024_v1.parquet", b"second")
    assert storage.read_bytes("produkt/utdata/data_p2024_v1.parquet") == b"first"

    assert storage.replace("produkt/utdata/data_p2024.parquet", b"latest") is True
    assert storage.replace("produkt/utdata/data_p2024.parquet", b"latest") is False  # same bytes: not written
    assert storage.replace("produkt/utdata/data_p2024.parquet", b"newer") is True
    assert storage.read_bytes("produkt/utdata/data_p2024.parquet") == b"newer"

    assert storage.walk() == ["produkt/utdata/data_p2024.parquet", "produkt/utdata/data_p2024_v1.parquet"]
    assert storage.listdir("produkt") == ["utdata"]
    assert storage.exists("produkt/utdata/data_p2024_v1.parquet")
    assert not storage.exists("produkt/utdata/nothing.parquet")
    assert storage.read_if_exists("produkt/utdata/nothing.parquet") is None
    with pytest.raises(FileNotFoundError):
        storage.read_bytes("produkt/utdata/nothing.parquet")


def test_racing_writers_leave_exactly_the_winners_bytes(root: str) -> None:
    """Writers with different bytes start together (a barrier) on the same new name: one wins, the others are
    refused by the store, and the file holds the winner's bytes."""
    writers = 4
    start = threading.Barrier(writers)
    outcomes: dict[int, str] = {}

    def write(number: int) -> None:
        storage = Storage(root)
        start.wait()
        try:
            storage.write_new("produkt/statistikk/tall_p2024_v1.parquet", f"writer {number}".encode())
            outcomes[number] = "won"
        except AlreadyStored as error:
            outcomes[number] = str(error)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [number for number, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    assert all("exists already and is never replaced" in outcomes[n] for n in outcomes if n not in winners)
    stored = Storage(root).read_bytes("produkt/statistikk/tall_p2024_v1.parquet")
    assert stored == f"writer {winners[0]}".encode()


def test_a_partitioned_version_is_hive_folders_written_once(root: str, tmp_path: Path) -> None:
    """A partitioned dataset is a folder of hive partitions (``<stem>/aar=2018/data.parquet``); in a bucket too,
    a second publication of the same version is refused and leaves the first one's partitions as they were."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataprodukt.publish import files as export

    table = pa.table({"aar": [2018, 2019, 2019], "s": ["a", "b", "c"]})
    content = export.Content(table, table.num_rows, export.content_checksum(table))
    storage = Storage(root)
    path = PurePosixPath("ledstill/inndata/skjema_p2018_p2019_v1")
    written = export.write_versioned(storage, path, content, "aar")
    assert written == [f"{path}/aar=2018/data.parquet", f"{path}/aar=2019/data.parquet"]
    assert storage.walk("ledstill") == written
    first = [storage.read_bytes(name) for name in written]
    changed = pa.table({"aar": [2018, 2019], "s": ["x", "y"]})
    with pytest.raises(AlreadyStored, match=r"skjema_p2018_p2019_v1.* exists already and is never replaced"):
        export.write_versioned(storage, path, export.Content(changed, 2, export.content_checksum(changed)), "aar")
    assert [storage.read_bytes(name) for name in written] == first
    assert pq.read_table(pa.BufferReader(first[1])).column("s").to_pylist() == ["b", "c"]


def test_the_plain_emulator_overwrites_so_ours_checks_preconditions(tmp_path: Path) -> None:
    """Why the project runs the emulator behind its own precondition check: gcp-storage-emulator alone ignores
    ifGenerationMatch=0 and replaces the object, so a 'never overwrite' test would pass for the wrong reason."""
    from gcp_storage_emulator.server import create_server
    from google.api_core.exceptions import PreconditionFailed
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    def second_write_succeeds(endpoint: str) -> bool:
        client = storage.Client(
            project="test", credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
        )
        blob = client.bucket("b").blob("x")
        blob.upload_from_string(b"one", if_generation_match=0)
        try:
            client.bucket("b").blob("x").upload_from_string(b"two", if_generation_match=0)
        except PreconditionFailed:
            return False
        return True

    plain = create_server("127.0.0.1", free_port(), in_memory=True, default_bucket="b")
    plain.start()
    try:
        host, port = plain._api._httpd.server_address
        assert second_write_succeeds(f"http://{host}:{port}"), "the plain emulator honours preconditions now"
    finally:
        plain.stop()
    ours = EmulatorServer(bucket="b").start()
    try:
        assert not second_write_succeeds(ours.endpoint)
    finally:
        ours.stop()


def test_a_missing_bucket_is_named_with_what_to_do(
    gcs_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOST_VARIABLE, gcs_emulator.endpoint)
    with pytest.raises(UserError) as raised:
        Storage("gs://no-such-bucket/produkt").write_new("a/b.json", b"{}")
    assert str(raised.value).startswith(
        "gs://no-such-bucket does not exist, or this account can't see it (gs://no-such-bucket/produkt/a/b.json): "
        "create the bucket (`gcloud storage buckets create gs://no-such-bucket --location=europe-north1`)"
    )
    with pytest.raises(UserError, match="gs://no-such-bucket does not exist"):
        Storage("gs://no-such-bucket/produkt").walk()


class _Forbidden(BaseHTTPRequestHandler):
    """Cloud Storage answering 403 as it does to an account without the role (health check aside)."""

    def _answer(self) -> None:
        if self.path == "/":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(
            {
                "error": {
                    "code": 403,
                    "message": "robot@p.iam.gserviceaccount.com does not have storage.objects.create access to the "
                    "Google Cloud Storage object.",
                    "errors": [{"reason": "forbidden", "domain": "global"}],
                }
            }
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def forbidding_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = HTTPServer(("127.0.0.1", 0), _Forbidden)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(HOST_VARIABLE, f"http://127.0.0.1:{server.server_address[1]}")
    yield
    server.shutdown()
    server.server_close()


@pytest.mark.usefixtures("forbidding_store")
def test_no_permission_names_the_object_and_the_role() -> None:
    with pytest.raises(UserError) as raised:
        Storage("gs://produkter/sykefravaer").write_new("utdata/x_p2024_v1.parquet", b"data")
    message = str(raised.value)
    assert message.startswith("no permission to write gs://produkter/sykefravaer/utdata/x_p2024_v1.parquet: ")
    assert "roles/storage.objectCreator" in message and "does not have storage.objects.create access" in message
    assert "\n" not in message


def test_an_emulator_that_is_not_running_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv(HOST_VARIABLE, endpoint)
    with pytest.raises(UserError) as raised:
        Storage("gs://produkter/sykefravaer").exists("x")
    assert str(raised.value) == (
        f"no Cloud Storage emulator answers at {endpoint} (STORAGE_EMULATOR_HOST): start it with "
        "`dataprodukt gcs-emulator start`, or unset STORAGE_EMULATOR_HOST to use Google Cloud Storage"
    )


def test_gcs_emulator_verb_starts_keeps_objects_and_stops(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    port = free_port()
    env = clean_env()
    started = run_cli(project, "gcs-emulator", "start", "--port", str(port), "--bucket", "lokal", env=env)
    try:
        assert f"export STORAGE_EMULATOR_HOST=http://127.0.0.1:{port}" in started.stdout
        status = run_cli(project, "gcs-emulator", "status", env=env)
        assert f"answering at http://127.0.0.1:{port}" in status.stdout
        # the background emulator refuses to overwrite too (it is this project's, not the plain one)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(HOST_VARIABLE, f"http://127.0.0.1:{port}")
            Storage("gs://lokal/p").write_new("a.json", b"1")
            with pytest.raises(AlreadyStored):
                Storage("gs://lokal/p").write_new("a.json", b"2")
    finally:
        stopped = run_cli(project, "gcs-emulator", "stop", env=env)
    assert "stopped" in stopped.stdout
    assert (
        project / "build" / "gcsemulator" / "data" / ".cloudstorage" / "lokal" / "p" / "a.json"
    ).read_bytes() == b"1"
    after = run_cli(project, "gcs-emulator", "status", env=env, check=False)
    assert after.returncode == 1


def test_names_verb_checks_the_data_in_a_bucket_not_its_catalog(bucket_root: str, tmp_path: Path) -> None:
    """In a bucket the catalog lives below the product (<product>/katalog/): metadata, like the register's records,
    so `dataprodukt names` checks the data files only."""
    storage = Storage(bucket_root)
    stored = {
        "sykefravaer/utdata/sykefravaer_p2024-Q3_v1.parquet": True,
        "sykefravaer/utdata/sykefravaer_p2024-Q3.parquet": True,  # the latest copy beside its version
        "sykefravaer/utdata/Sykefravær i 2024.parquet": False,
        "sykefravaer/utdata/sykefravaer_p2024-Q3_v1__DOC.json": True,
        "sykefravaer/katalog/index.json": True,
        "sykefravaer/katalog/site/index.html": True,
        "sykefravaer/katalog/sykefravaer/utdata/sykefravaer_p2024-Q3_v1__DOC.json": True,
        "sykefravaer/publisering/manifest.json": True,
        "sykefravaer/datapackage.json": True,
    }
    for name in stored:
        storage.write_new(name, b"{}")
    project = copy_project(tmp_path / "project")
    env = clean_env(DATAPRODUKT_STORAGE_ROOT=bucket_root, **{HOST_VARIABLE: os.environ[HOST_VARIABLE]})
    result = run_cli(project, "names", env=env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    reported = [line for line in result.stdout.splitlines() if line.startswith(bucket_root)]
    assert [line.split(": ", 1)[0] for line in reported] == [
        f"{bucket_root}/sykefravaer/utdata/Sykefravær i 2024.parquet"
    ]
    assert "katalog" not in result.stdout


def test_production_without_a_storage_root_stops_before_any_work(tmp_path: Path) -> None:
    """Target bigquery with no storage root would publish to build/storage on a machine that may vanish (a CI
    runner): the run stops before it connects, naming the variable to set; an explicit root is the team's choice."""
    project = copy_project(tmp_path / "project")
    env = {key: value for key, value in clean_env(BQ_PROJECT="produksjon").items() if key != "DATAPRODUKT_STORAGE_ROOT"}
    for verb in ("run", "publish"):
        result = run_cli(project, verb, "--target", "bigquery", env=env, check=False)
        assert result.returncode == 2, result.stdout + result.stderr
        assert (
            result.stderr.strip()
            .splitlines()[-1]
            .endswith(
                "target bigquery has no storage root, so its publication would go to build/storage on this machine: "
                "set DATAPRODUKT_STORAGE_ROOT=gs://<bucket> (or the var storage_root in dbt_project.yml; docs/ci.md)"
            )
        ), result.stderr
    assert not (project / "build" / "storage").exists() and not (project / "target").exists()


@pytest.mark.parametrize(
    ("target", "asked", "generated"),
    [("duckdb", True, True), ("bigquery_emulator", True, True), ("bigquery", True, False), ("duckdb", False, False)],
)
def test_production_never_generates_synthetic_extracts(target: str, asked: bool, generated: bool) -> None:
    from dataprodukt.core.project import Project
    from dataprodukt.pipeline import generates

    assert generates(Project(REPO, target), asked) is generated
