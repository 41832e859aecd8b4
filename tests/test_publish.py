"""Publication on DuckDB and PostgreSQL: published versions are never rebuilt or rewritten, a changed published
model is refused with a message naming the version to add, and a new version publishes beside the old one and
moves the latest alias. Each engine runs one lifecycle in its own project copy (each step is a CLI run)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import clean_env, run_cli

PERIODS = "p2024-Q1_p2024-Q4"
DATASETS = {
    # stem -> (schema, relation, storage folder)
    f"sykefravaer-person_{PERIODS}_v1": (
        "sykefravaer_klargjorte_data",
        "sykefravaer_person_p2024_q1_p2024_q4_v1",
        "klargjorte-data",
    ),
    f"sykefravaersprosent_{PERIODS}_v1": (
        "sykefravaer_statistikk",
        "sykefravaersprosent_p2024_q1_p2024_q4_v1",
        "statistikk",
    ),
    f"sykefravaer_{PERIODS}_v1": ("sykefravaer_utdata", "sykefravaer_p2024_q1_p2024_q4_v1", "utdata"),
}
REFUSED = f"sykefravaersprosent_{PERIODS}_v1 is published; add version 2 to change it"


class Engine:
    """The project copy, its target and a way to look inside its warehouse."""

    def __init__(self, root: Path, target: str, env: dict[str, str]) -> None:
        self.root, self.target, self.env = root, target, env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_cli(self.root, *args, "--target", self.target, env=self.env, check=check)

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Plain dbt, as a user runs it in the project folder."""
        env = {**self.env, "DBT_PROFILES_DIR": "profiles", "DBT_TARGET": self.target}
        dbt = Path(sys.executable).with_name("dbt")
        return subprocess.run([str(dbt), *args], cwd=self.root, env=env, capture_output=True, text=True, timeout=600)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.target == "duckdb":
            import duckdb

            connection = duckdb.connect(str(self.root / "build" / "sykefravaer.duckdb"))
            try:
                return list(connection.execute(sql).fetchall())
            finally:
                connection.close()
        import psycopg2

        connection = psycopg2.connect(
            host=self.env["PGHOST"],
            port=self.env["PGPORT"],
            user=self.env["PGUSER"],
            password=self.env["PGPASSWORD"],
            dbname=self.env["PGDATABASE"],
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                rows = list(cursor.fetchall()) if cursor.description else []
            connection.commit()
            return rows
        finally:
            connection.close()

    def mark(self) -> None:
        """Comment every published table: a rebuild would make a new table and lose the comment."""
        for stem, (schema, name, _folder) in DATASETS.items():
            self.query(f"comment on table {schema}.{name} is 'marker {stem}'")

    def identity(self, schema: str, name: str) -> tuple[Any, ...]:
        """What changes when a table is recreated: its comment (see mark), DuckDB's storage blocks,
        PostgreSQL's oid and file node."""
        if self.target == "duckdb":
            comment = self.query(
                f"select comment from duckdb_tables() where schema_name = '{schema}' and table_name = '{name}'"
            )
            blocks = self.query(
                f"select row_group_id, column_id, segment_id, block_id, block_offset "
                f"from pragma_storage_info('{schema}.{name}') order by all"
            )
            return (comment, tuple(blocks))
        rows = self.query(
            "select obj_description(c.oid, 'pg_class'), c.oid, c.relfilenode from pg_class c "
            f"join pg_namespace n on n.oid = c.relnamespace where n.nspname = '{schema}' and c.relname = '{name}'"
        )
        assert len(rows) == 1, f"{schema}.{name} not found"
        return tuple(rows[0])

    def checksum(self, schema: str, name: str) -> str:
        rows = self.query(f"select * from {schema}.{name}")
        digest = hashlib.sha256()
        for line in sorted(repr(row) for row in rows):
            digest.update(line.encode("utf-8"))
        return digest.hexdigest()

    @property
    def storage(self) -> Path:
        return self.root / "build" / "storage" / "sykefravaer"

    def state(self) -> dict[str, Any]:
        """Every published relation (identity + content) and every stored file (bytes)."""
        relations = {
            stem: (self.identity(schema, name), self.checksum(schema, name))
            for stem, (schema, name, _folder) in DATASETS.items()
        }
        files = {
            str(path.relative_to(self.storage)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.storage.rglob("*"))
            if path.is_file() and path.name != "manifest.json"
        }
        return {"relations": relations, "files": files}

    def latest_view_reads(self, schema: str, view: str) -> int:
        return int(self.query(f"select count(*) from {schema}.{view}")[0][0])


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def edit(path: Path, old: str, new: str) -> str:
    """Replace text in a project file; return the original so it can be put back."""
    original = path.read_text(encoding="utf-8")
    assert old in original, f"{old!r} not in {path}"
    path.write_text(original.replace(old, new, 1), encoding="utf-8")
    return original


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, project_copy: Path) -> Engine:
    # the project is a git repository, as a team's is: each publication records the commit it was made from
    git = ["git", "-c", "user.name=Analytiker", "-c", "user.email=analytiker@example.invalid", "-C", str(project_copy)]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "Produktet"]):
        subprocess.run([*git, *command], check=True, capture_output=True)
    if request.param == "postgres":
        return Engine(project_copy, "postgres", clean_env(**request.getfixturevalue("pg_env")))
    return Engine(project_copy, "duckdb", clean_env())


@pytest.mark.slow
def test_publication_lifecycle(engine: Engine) -> None:
    # 1. the main job builds and publishes every stable version
    first = engine.cli("run")
    for stem, (schema, name, folder) in DATASETS.items():
        assert f"published {stem}:" in first.stdout
        assert (engine.storage / folder / f"{stem}.parquet").is_file()
        record = json.loads((engine.storage / "publisering" / folder / f"{stem}.json").read_text(encoding="utf-8"))
        assert record["relation_schema"] == schema and record["relation_name"] == name
        assert record["row_count"] > 0 and len(record["content_checksum"]) == 64
        head = subprocess.run(["git", "-C", str(engine.root), "rev-parse", "HEAD"], capture_output=True, text=True)
        assert len(record["code_fingerprint"]) == 64 and record["git_commit"] == head.stdout.strip()
        # the latest alias: a view without _v1 and a copy of the file without _v1
        latest = stem.removesuffix("_v1")
        assert engine.latest_view_reads(schema, name.removesuffix("_v1")) == record["row_count"]
        assert (engine.storage / folder / f"{latest}.parquet").read_bytes() == (
            engine.storage / folder / f"{stem}.parquet"
        ).read_bytes()
    register = engine.query("select dataset, version, row_count from publisering.register order by dataset")
    assert sorted(row[0] for row in register) == sorted(DATASETS)
    assert (engine.storage / "publisering" / "manifest.json").is_file()
    if engine.target == "duckdb":  # every stored file follows the naming standard (latest copies included)
        names = engine.cli("names")
        assert "12 of 12 path(s) follow the naming standard" in names.stdout, names.stdout
    engine.mark()
    published = engine.state()
    assert all(identity[0] for identity, _checksum in published["relations"].values())

    # 2. a re-run says they are published and leaves relations and files byte-identical
    rerun = engine.cli("run")
    assert f"sykefravaersprosent_{PERIODS}_v1 is published" in rerun.stdout
    assert "not rebuilt" in rerun.stdout
    again = engine.cli("publish")
    assert "published sykefravaer" not in again.stdout
    assert f"sykefravaersprosent_{PERIODS}_v1 is published (" in again.stdout
    assert engine.state() == published
    plain = engine.dbt("build", "--select", "sykefravaersprosent", "--full-refresh")
    assert plain.returncode == 0, output(plain)[-3000:]
    assert f"sykefravaersprosent_{PERIODS}_v1 is published" in plain.stdout
    assert engine.state() == published

    # 2b. a change that cannot alter the data goes through: the build goes on, the published version stands, the
    # metadata is exported again (a new description, a new metadata_last_updated, the same version)
    fingerprints = "select dataset, code_fingerprint, sql_fingerprint from publisering.register order by dataset"
    registered = engine.query(fingerprints)
    model = engine.root / "models" / "statistikk" / "sykefravaersprosent_v1.sql"
    yaml = engine.root / "models" / "statistikk" / "_sykefravaersprosent.yml"
    model.write_text("-- Reformatted.\n" + model.read_text(encoding="utf-8").replace("per_celle", "celler"), "utf-8")
    edit(yaml, "Sykefraværsprosent per kvartal,", "Sykefraværsprosenten per kvartal,")
    cosmetic = engine.cli("run")
    assert f"sykefravaersprosent_{PERIODS}_v1: no data change possible" in cosmetic.stdout
    assert "published sykefravaer" not in cosmetic.stdout
    after = engine.state()
    assert after["relations"] == published["relations"]
    assert engine.query(fingerprints) == registered  # the register keeps the published fingerprints
    document = f"statistikk/sykefravaersprosent_{PERIODS}_v1__DOC.json"
    # the document and the data package hold the description
    changed = {path for path, digest in after["files"].items() if published["files"].get(path) != digest}
    assert changed == {document, "datapackage.json"}
    dataset = json.loads((engine.storage / document).read_text(encoding="utf-8"))["datadoc"]["dataset"]
    assert dataset["description"][0]["languageText"].startswith("Sykefraværsprosenten per kvartal")
    assert dataset["version"] == "1" and dataset["version_description"][0]["languageText"] == "Opprinnelig versjon"
    assert dataset["metadata_last_updated_date"] != dataset["metadata_created_date"]
    # the accepted text passes plain dbt's own check too
    plain = engine.dbt("build", "--select", "sykefravaersprosent")
    assert plain.returncode == 0, output(plain)[-3000:]
    published = after

    # 3. plain dbt, even with --full-refresh, refuses a changed published model and changes nothing
    original = edit(model, "select * from prosent", "select * from prosent where true")
    refused = engine.dbt("build", "--select", "sykefravaersprosent", "--full-refresh")
    assert refused.returncode != 0
    assert REFUSED in output(refused), output(refused)[-3000:]
    assert engine.state() == published
    # and so does the publish step, naming the change (classified on the syntax tree, from the build's manifest)
    publish = engine.cli("publish", check=False)
    assert publish.returncode == 2
    assert REFUSED in publish.stderr and "where clause added: TRUE" in publish.stderr, publish.stderr[-2000:]
    assert engine.state() == published
    if engine.target == "duckdb":  # the state comparison reads manifests only: one engine is enough
        check = engine.cli("check", "--only", "versions", check=False)
        assert check.returncode == 1
        assert re.search(rf"sykefravaersprosent_{PERIODS}_v1 \(v1\): is published .* add version 2", check.stdout)
    model.write_text(original, encoding="utf-8")

    # 4. a new version publishes beside the old one and moves the latest alias
    add_version_2(engine.root)
    newer = engine.cli("run")
    assert f"sykefravaer_{PERIODS}_v1 is published" in newer.stdout  # its input pinned to v1: same code
    assert f"published sykefravaersprosent_{PERIODS}_v2:" in newer.stdout
    after = engine.state()
    assert after["relations"] == published["relations"]  # every v1 as it was
    for path, digest in published["files"].items():
        # the latest copies move on; the data package lists the new version too
        if not re.search(r"(_p2024-Q4\.parquet|datapackage\.json)$", path):
            assert after["files"][path] == digest, path
    folder = engine.storage / "statistikk"
    v1 = (folder / f"sykefravaersprosent_{PERIODS}_v1.parquet").read_bytes()
    v2 = (folder / f"sykefravaersprosent_{PERIODS}_v2.parquet").read_bytes()
    assert (folder / f"sykefravaersprosent_{PERIODS}.parquet").read_bytes() == v2 != v1
    view = engine.query(
        "select count(*) from sykefravaer_statistikk.sykefravaersprosent_p2024_q1_p2024_q4 "
        "where sykefravaersprosent_avrundet is not null"
    )
    assert view[0][0] > 0  # the latest view reads v2, which has the new column


def add_version_2(root: Path) -> None:
    """sykefravaersprosent v2 (one more column); the published sykefravaer v1 stays on v1 of its input."""
    folder = root / "models" / "statistikk"
    v1 = (folder / "sykefravaersprosent_v1.sql").read_text(encoding="utf-8")
    select = v1.rstrip().rsplit("\n", 1)[-1]
    assert select.startswith("select * from "), select
    relation = select.removeprefix("select * from ").strip()
    (folder / "sykefravaersprosent_v2.sql").write_text(
        v1.rstrip()[: -len(select)]
        + "select *, cast(round(sykefravaersprosent, 1) as numeric(28, 1)) as sykefravaersprosent_avrundet"
        + f" from {relation}\n",
        encoding="utf-8",
    )
    edit(
        folder / "_sykefravaersprosent.yml",
        "    versions:\n      - v: 1\n",
        "    versions:\n      - v: 1\n"
        "      - v: 2\n"
        "        columns:\n"
        "          - include: all\n"
        "          - name: sykefravaersprosent_avrundet\n"
        "            data_type: \"{{ 'numeric' if target.type == 'bigquery' else 'numeric(28,1)' }}\"\n"
        '            description: "Sykefraværsprosenten avrundet til én desimal."\n'
        "            meta: {variable_role: MEASURE, measurement_unit: prosent}\n",
    )
    edit(folder / "_sykefravaersprosent.yml", "latest_version: 1", "latest_version: 2")
    edit(
        root / "models" / "utdata" / "sykefravaer_v1.sql",
        "ref('sykefravaersprosent')",
        "ref('sykefravaersprosent', v=1)",
    )
    # a unit test's inputs name the refs exactly as the model does
    edit(
        root / "models" / "utdata" / "_sykefravaer.yml",
        "input: ref('sykefravaersprosent')",
        "input: ref('sykefravaersprosent', v=1)",
    )
