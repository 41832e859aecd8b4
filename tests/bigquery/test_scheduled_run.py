"""The scheduled production workflow as shipped, run on this machine: its own ``run:`` steps, read from
.github/workflows/scheduled.yml, against the BigQuery emulator (a project of its own, whose raw tables a source
system delivered) and the Cloud Storage emulator, for a period given as the workflow's input.

One run, then every check on what it left: the steps passed without generating data, every object of the
publication is in the bucket (read back, documents valid, ``file_path`` the object's gs:// URI), nothing of the
pseudonymisation key is in target/, logs/, the bucket, the tooling's tables or the emulator's job history; then two
publishers race on one version. The workflow's own settings check stops a run that misses a secret or variable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.core import bigquery_emulator
from dataprodukt.core.provenance import now
from dataprodukt.core.pseudonym_key import pads
from dataprodukt.core.storage import AlreadyStored, Storage
from dataprodukt.core.storage_emulator import HOST_VARIABLE, EmulatorServer
from dataprodukt.core.warehouse.base import RawFile
from dataprodukt.load import deliveries, generator, loader
from dataprodukt.publish import files as export
from dataprodukt.runlog.writer import FRESHNESS, INVOCATIONS, NODES, RUNS
from tests.bigquery.conftest import emulator_warehouse
from tests.conftest import REPO, copy_project
from tests.support.leftovers import in_files, in_rows, in_text, key_material
from tests.support.workflow import WorkflowRun, runner_environment

pytestmark = pytest.mark.bigquery

WORKFLOW = REPO / ".github" / "workflows" / "scheduled.yml"
PROJECT = "dataprodukt-planlagt"  # the emulator keeps this project's datasets apart from the example's
PERIOD = "2024-Q3"
BUCKET = "dataprodukt-planlagt"  # the storage root is a bucket: the product's folder is level 1 below it
KEY = "planlagt-kjoering-noekkel-" + "7" * 32
# steps that are not run here, and what stands in for them
NOT_HERE = {
    "actions/checkout@v4": "the project copy",
    "actions/setup-python@v5": "this interpreter",
    "Install (uv, from requirements.lock, wheels only)": "the installed environment (.venv links to it)",
    "Authenticate to Google Cloud (workload identity federation, no key)": "the emulators, which take no credentials",
    "New versions made from corrected data, proposed as a pull request": "a push and GitHub's pull requests API "
    "(test_workflows.py reads the step; this period's data has no correction)",
    "Keep the published manifest (read by pull-request CI for the version check)": "an upload to GitHub",
    "Keep the logs": "an upload to GitHub",
    "Make the failure visible (an issue, labelled scheduled-run)": "GitHub's issues API",
}
RUN_STEPS = ["The settings this run needs", "The period to build", "The main job on BigQuery", "The conventions"]
FOLDERS = {"sykefravaer-person": "klargjorte-data", "sykefravaersprosent": "statistikk", "sykefravaer": "utdata"}


def values(storage_root: str, key: str = KEY) -> dict[str, str]:
    """The repository's variables and secrets, the dispatch input and GitHub's context, as the test sets them."""
    return {
        "vars.DBT_TARGET": "bigquery_emulator",
        "vars.BQ_PROJECT": PROJECT,
        "vars.DATAPRODUKT_STORAGE_ROOT": storage_root,
        "vars.GCP_WORKLOAD_IDENTITY_PROVIDER": "projects/1/locations/global/workloadIdentityPools/github/providers/gh",
        "vars.GCP_SERVICE_ACCOUNT": f"dataprodukt@{PROJECT}.iam.gserviceaccount.com",
        "secrets.DATAPRODUKT_PSEUDONYM_KEY": key,
        "inputs.period": PERIOD,
        "github.run_id": "4711",
        "github.server_url": "https://github.com",
        "github.repository": "team/sykefravaer",
        "github.token": "",
    }


def checkout(destination: Path) -> Path:
    root = copy_project(destination)
    (root / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return root


def deliver_raw_tables(emulator: bigquery_emulator.Emulator, folder: Path) -> dict[str, int]:
    """A source system's delivery: one extract loaded into the raw tables by the loader (not by the scheduled run)."""
    generator.generate(folder, rows=3000, batches=0)
    batch_folder = folder / "batch_000"
    files = {path.stem: RawFile(path, tuple(loader.read_header(path))) for path in sorted(batch_folder.glob("*.csv"))}
    # its delivery time: the one the folder states, else the load time (as `dataprodukt load` has it)
    stated = deliveries.stated_time(batch_folder)
    delivered_at = deliveries.text(stated[0] if stated else deliveries.utc(now()))
    warehouse = emulator_warehouse(emulator, PROJECT)
    try:
        rows = warehouse.replace_tables(loader.RAW_SCHEMA, files)
        stamp = now().isoformat(timespec="microseconds")
        warehouse.replace_rows(
            loader.CURRENT_BATCH, [{"batch": batch_folder.name, "lastet": stamp, "levert": delivered_at}]
        )
        fingerprint = hashlib.sha256(b"".join(file.path.read_bytes() for file in files.values())).hexdigest()
        warehouse.insert(
            loader.LOAD_LOG, [loader.log_row(str(batch_folder), batch_folder.name, fingerprint, rows, delivered_at)]
        )
    finally:
        warehouse.close()
    return rows


def expected_objects() -> list[str]:
    # in a bucket the catalog is <root>/<product>/katalog: its documents (by their path below the root), index, page
    catalog = "sykefravaer/katalog"
    objects = ["sykefravaer/datapackage.json", "sykefravaer/publisering/manifest.json", f"{catalog}/index.json"]
    objects += [f"{catalog}/site/index.html", f"{catalog}/site/katalog.json"]
    for description, folder in FOLDERS.items():
        stem = f"{description}_p{PERIOD}_v1"
        objects += [
            f"sykefravaer/{folder}/{stem}.parquet",
            f"sykefravaer/{folder}/{stem}__DOC.json",
            f"sykefravaer/{folder}/{description}_p{PERIOD}.parquet",  # the latest copy
            f"sykefravaer/publisering/{folder}/{stem}.json",
            f"{catalog}/sykefravaer/{folder}/{stem}__DOC.json",
        ]
    return sorted(objects)


def check_the_steps(run: WorkflowRun, root: Path, delivered: dict[str, int], warehouse: Any) -> None:
    ran = [result for result in run.results if result.ran]
    for result in ran:
        assert result.returncode == 0, f"{result.name}:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
    assert [result.name for result in ran] == [
        next(step for step in (result.name for result in run.results) if step.startswith(prefix))
        for prefix in RUN_STEPS
    ]
    assert {result.name for result in run.results if not result.ran} == set(NOT_HERE)
    main = next(result for result in ran if result.name.startswith("The main job"))
    assert not list((root / "build" / "raw").glob("batch_*"))  # no synthetic extracts made: the raw tables as delivered
    assert "generating raw extracts" not in main.stdout and not (root / "build" / "raw").exists()
    # the raw tables are the delivery, untouched; history recorded them
    for table, count in delivered.items():
        assert warehouse.query(f"select count(*) from raw.{table}") == [(count,)]
    assert warehouse.query("select batch from raw.lastelogg") == [("batch_000",)]
    assert warehouse.query("select count(*) from historikk.hist_sykmelding__sykmeldinger")[0][0] > 0
    # nothing published went to the runner's disk
    assert not (root / "build" / "storage").exists() and not (root / "build" / "catalog").exists()


def check_the_bucket(storage_root: str, warehouse: Any) -> None:
    from datadoc_model.required.model import MetadataContainer

    storage = Storage(storage_root)
    assert storage.walk() == expected_objects()
    register = {row["dataset"]: row for row in register_rows(warehouse)}
    assert sorted(register) == sorted(f"{description}_p{PERIOD}_v1" for description in FOLDERS)
    for description, folder in FOLDERS.items():
        stem = f"{description}_p{PERIOD}_v1"
        data = storage.read_bytes(f"sykefravaer/{folder}/{stem}.parquet")
        table = _parquet(data)
        assert (table.num_rows, export.content_checksum(table)) == (
            register[stem]["row_count"],
            register[stem]["content_checksum"],
        )
        assert storage.read_bytes(f"sykefravaer/{folder}/{description}_p{PERIOD}.parquet") == data
        document = storage.read_bytes(f"sykefravaer/{folder}/{stem}__DOC.json")
        datadoc = MetadataContainer.model_validate_json(document).datadoc
        assert datadoc is not None and datadoc.dataset is not None
        assert datadoc.dataset.file_path == f"{storage_root}/sykefravaer/{folder}/{stem}.parquet"
        # the pseudonym (found by lineage in BigQuery's compiled SQL) carries the block naming the key, not the key
        blocks = {v.short_name: v.pseudonymization for v in datadoc.variables or [] if v.pseudonymization}
        assert {name: block.encryption_algorithm for name, block in blocks.items()} == (
            {"person_pseudonym": "HMAC-SHA-256"} if folder == "klargjorte-data" else {}
        )
        assert storage.read_bytes(f"sykefravaer/katalog/sykefravaer/{folder}/{stem}__DOC.json") == document
        record = json.loads(storage.read_bytes(f"sykefravaer/publisering/{folder}/{stem}.json"))
        assert record["content_checksum"] == register[stem]["content_checksum"]
    # the order a reader meets them in: each version's document, then its record, then its data, then the latest
    # copy (the emulator's generations are the clock's nanoseconds at each write)
    generation = object_generations(storage_root)
    for description, folder in FOLDERS.items():
        stem = f"sykefravaer/{folder}/{description}_p{PERIOD}"
        written = [f"{stem}_v1__DOC.json", f"sykefravaer/publisering/{folder}/{description}_p{PERIOD}_v1.json"]
        written += [f"{stem}_v1.parquet", f"{stem}.parquet"]
        assert sorted(written, key=generation.__getitem__) == written, "metadata first, data after"
    # the pseudonyms BigQuery computed from the key table are HMAC-SHA-256 of the delivered national ids under the key
    person = _parquet(storage.read_bytes(f"sykefravaer/klargjorte-data/sykefravaer-person_p{PERIOD}_v1.parquet"))
    pseudonyms = set(person.column("person_pseudonym").to_pylist())
    delivered = {row[0] for row in warehouse.query("select distinct FNR from raw.arbeidsforhold")}
    assert pseudonyms and pseudonyms <= {hmac_sha256(KEY, fnr) for fnr in delivered}
    index = json.loads(storage.read_bytes("sykefravaer/katalog/index.json"))
    assert sorted(entry["file_path"] for entry in index["documents"]) == sorted(
        f"{storage_root}/sykefravaer/{folder}/{description}_p{PERIOD}_v1.parquet"
        for description, folder in FOLDERS.items()
    )


def object_generations(storage_root: str) -> dict[str, int]:
    from google.cloud import storage

    bucket = storage_root.removeprefix("gs://")
    return {blob.name: int(blob.generation) for blob in storage.Client().list_blobs(bucket)}


def hmac_sha256(key: str, value: str) -> str:
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def register_rows(warehouse: Any) -> list[dict[str, Any]]:
    from dataprodukt.publish.register import Register

    return [record.__dict__ for record in Register(warehouse, "publisering").records()]


def _parquet(data: bytes) -> Any:
    import io

    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data))


def check_no_key_material(root: Path, storage_root: str, warehouse: Any) -> None:
    material = key_material(KEY)
    found = in_files([root / "target", root / "logs"], material)
    storage = Storage(storage_root)
    for name in storage.walk():
        found += in_text(storage.read_bytes(name), material, f"{storage_root}/{name}")
    for table in (RUNS, INVOCATIONS, NODES, FRESHNESS):
        found += in_rows(warehouse.query(f"select * from {table.schema}.{table.name}"), material, table.name)
    for table in ("publisering.register", "katalog.datadoc"):
        found += in_rows(warehouse.query(f"select * from {table}"), material, table)
    jobs = list(warehouse.client.list_jobs(project=PROJECT, all_users=True, max_results=100_000))
    assert len(jobs) > 100, "the emulator keeps every job of the run"
    assert any("pseudonymisering" in json.dumps(job._properties) for job in jobs), "the build's queries are listed"
    for job in jobs:
        found += in_text(json.dumps(job._properties), material, f"job {job.job_id}")
    assert found == []
    assert warehouse.query("select ipad, opad from pseudonymisering.nokkel") == [pads(KEY)], "the key table has it"


def check_a_race(
    root: Path, target: Path, storage_root: str, emulator: bigquery_emulator.Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two publishers of the same versions start together (both found the register empty): at their first write,
    a barrier lets both go at once. One publishes; the other is refused by the bucket before writing any data."""
    from dataprodukt.core.context import RunContext
    from dataprodukt.core.project import Project
    from dataprodukt.core.provenance import git_commit
    from dataprodukt.datadoc import exporter
    from dataprodukt.publish import publication

    roots = []
    for name in ("a", "b"):
        copy = shutil.copytree(
            root, target.parent / f"publisher-{name}", symlinks=True, ignore=shutil.ignore_patterns("logs", ".github*")
        )
        shutil.rmtree(copy / "target")
        shutil.copytree(target, copy / "target")
        settings = copy / "dbt_project.yml"
        settings.write_text(
            settings.read_text("utf-8").replace(
                "publication_schema: publisering", "publication_schema: publisering_kapplop"
            ),
            "utf-8",
        )
        roots.append(copy)
    # publisher a's checkout is a git commit, b's is not: their records differ, so the stored one names the winner
    for command in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.email=a@example.org", "-c", "user.name=a", "commit", "-qm", "a"],
    ):
        subprocess.run(["git", *command], cwd=roots[0], check=True, capture_output=True)
    monkeypatch.setenv("DATAPRODUKT_STORAGE_ROOT", storage_root)
    monkeypatch.setenv("BQ_EMULATOR_ENDPOINT", emulator.endpoint)
    monkeypatch.setenv("BQ_EMULATOR_PROJECT", PROJECT)
    for name in ("DBT_PROFILES_DIR", "DBT_PROJECT_DIR", "DBT_TARGET"):
        # the contexts below set them (as the CLI does): restored after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    contexts = [RunContext.open(Project(copy, "bigquery_emulator"), quiet=True) for copy in roots]
    for context in contexts:
        context.warehouse  # noqa: B018 (connected here, not in the threads)
    first = contexts[0]
    exporter.export(first.project.root, first.artifacts, first.storage, first.catalog)  # the metadata, once

    start = threading.Barrier(2)
    waited: set[int] = set()
    original = Storage.write_new

    def write_new(self: Storage, path: Any, data: bytes) -> None:
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            start.wait(timeout=120)
        original(self, path, data)

    monkeypatch.setattr(Storage, "write_new", write_new)
    outcomes: dict[int, Any] = {}

    def publish(number: int) -> None:
        try:
            outcomes[number] = publication.publish(contexts[number])
        except AlreadyStored as error:
            outcomes[number] = error

    threads = [threading.Thread(target=publish, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for context in contexts:
        context.close()

    winners = [number for number, outcome in outcomes.items() if not isinstance(outcome, BaseException)]
    assert len(winners) == 1, outcomes
    winner, loser = winners[0], 1 - winners[0]
    assert len(outcomes[winner].published) == 3
    refusal = str(outcomes[loser])
    assert re.match(
        rf"{re.escape(storage_root)}/sykefravaer/publisering/[a-z-]+/[a-z-]+_p{PERIOD}_v1\.json exists "
        "already and is never replaced: another run published it first",
        refusal,
    ), refusal
    storage = Storage(storage_root)
    commit = git_commit(roots[winner])
    for description, folder in FOLDERS.items():
        stem = f"{description}_p{PERIOD}_v1"
        record = json.loads(storage.read_bytes(f"sykefravaer/publisering/{folder}/{stem}.json"))
        assert record["git_commit"] == commit, "the stored record is the winner's"
        table = _parquet(storage.read_bytes(f"sykefravaer/{folder}/{stem}.parquet"))
        assert export.content_checksum(table) == record["content_checksum"]
    warehouse = contexts[winner].warehouse
    rows = warehouse.query("select dataset, git_commit from publisering_kapplop.register order by dataset")
    warehouse.close()
    assert [row[1] for row in rows] == [commit] * 3, "one register row per version, the winner's"


def test_the_scheduled_workflow_publishes_to_the_bucket(
    bq_emulator: bigquery_emulator.Emulator,
    gcs_emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(HOST_VARIABLE, gcs_emulator.endpoint)
    storage_root = gcs_emulator.create_bucket(BUCKET)
    delivered = deliver_raw_tables(bq_emulator, tmp_path / "levert")
    root = checkout(tmp_path / "repo")
    run = WorkflowRun.read(
        WORKFLOW,
        "run",
        root,
        values=values(storage_root),
        machine_env=runner_environment(
            BQ_EMULATOR_ENDPOINT=bq_emulator.endpoint,
            BQ_EMULATOR_PROJECT=PROJECT,
            **{HOST_VARIABLE: gcs_emulator.endpoint},
        ),
        skip=NOT_HERE,
        # the race below publishes from the main job's artifacts (the check after it compiles with the default vars)
        after={"The main job": lambda: shutil.copytree(root / "target", tmp_path / "published-target")},
    )
    run.run()
    # how long each step took on the emulators (shown with pytest -rP)
    print("\n".join(f"{result.seconds:7.1f}s  {result.name}" for result in run.results if result.ran))
    warehouse = emulator_warehouse(bq_emulator, PROJECT)
    try:
        check_the_steps(run, root, delivered, warehouse)
        check_the_bucket(storage_root, warehouse)
        check_no_key_material(root, storage_root, warehouse)
    finally:
        warehouse.close()
    race_root = gcs_emulator.create_bucket(f"{BUCKET}-kapplop")
    check_a_race(root, tmp_path / "published-target", race_root, bq_emulator, monkeypatch)


@pytest.mark.parametrize(
    "missing",
    [
        "secrets.DATAPRODUKT_PSEUDONYM_KEY",
        "vars.DATAPRODUKT_STORAGE_ROOT",
        "vars.BQ_PROJECT",
        "vars.GCP_SERVICE_ACCOUNT",
        "vars.GCP_WORKLOAD_IDENTITY_PROVIDER",
    ],
)
def test_a_missing_secret_or_variable_stops_the_run_at_once_naming_it(tmp_path: Path, missing: str) -> None:
    given = values(f"gs://{BUCKET}")
    given.pop(missing)
    run = WorkflowRun.read(WORKFLOW, "run", tmp_path, values=given, machine_env=runner_environment(), skip=NOT_HERE)
    results = run.run()
    assert [result.name for result in results if result.ran] == ["The settings this run needs"]
    assert results[0].returncode == 1
    kind, name = {"secrets": "secret", "vars": "variable"}[missing.split(".")[0]], missing.split(".")[1]
    assert results[0].stdout.strip() == (
        f"::error::the repository {kind} {name} is not set: add it under Settings > Secrets and variables > "
        "Actions (docs/ci.md)"
    )


def test_a_storage_root_on_the_runners_disk_is_refused(tmp_path: Path) -> None:
    run = WorkflowRun.read(
        WORKFLOW, "run", tmp_path, values=values("build/storage"), machine_env=runner_environment(), skip=NOT_HERE
    )
    results = run.run()
    assert results[0].returncode == 1
    assert results[0].stdout.strip() == (
        "::error::the repository variable DATAPRODUKT_STORAGE_ROOT is 'build/storage': set it to "
        "gs://<bucket> (a runner's disk is gone when the job ends)"
    )
    assert [result.name for result in results if result.ran] == ["The settings this run needs"]
