"""The pseudonymize macro gives Python's HMAC-SHA-256 on DuckDB and PostgreSQL (and in BigQuery's form), reading
its key from the key table when the query runs: the key is loaded as data (on PostgreSQL, what the server is sent is
read off the wire), compiling needs no key, and a missing key table, a short key or a missing production key is
refused with what to do."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.core.pseudonym_key import KEY_FILE, KEY_VARIABLE, current_key, ensure_key, pads
from tests.conftest import BuiltExample, clean_env, run_cli
from tests.support import wire
from tests.support.leftovers import in_text, key_material
from tests.support.relations import relation_name

VALUES = ["01017012345", "Ærlig Øst Å", "", "x" * 200]
KEYS = [
    "3f1c9a0e6b2d4c8f9a7e5d3b1c0f2e4d6a8b9c7d5e3f1a2b4c6d8e0f1a3b5c7d",  # 64 hex characters, as generated
    "nøkkel-med-æøå-og-mer-enn-32-bytes!",  # not ASCII: the key's UTF-8 bytes count
]
MODEL = (
    """
select verdi, {{ pseudonymize('verdi') }} as pseudonym
from (values ('01017012345'), ('Ærlig Øst Å'), (''), ('"""
    + "x" * 200
    + """'), (null)) as proeve (verdi)
"""
)
DBT = str(Path(sys.executable).parent / "dbt")


def expected(key: str, value: str) -> str:
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def dbt(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Plain dbt, as a user runs it beside the CLI (the DuckDB file's folder must exist)."""
    (project / "build").mkdir(exist_ok=True)
    return subprocess.run(
        [DBT, *args],
        cwd=project,
        env=clean_env(DBT_PROFILES_DIR=str(project / "profiles"), **env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def plant(project: Path) -> None:
    (project / "models" / "intermediate" / "int_pseudonym_proeve.sql").write_text(MODEL, encoding="utf-8")


def built(project: Path, key: str, target: str = "duckdb", **env: str) -> None:
    """`dataprodukt key` loads the key into the key table, then plain dbt builds the planted model."""
    run_cli(project, "key", "--target", target, env=clean_env(**{KEY_VARIABLE: key}, **env))
    result = dbt(project, "run", "--select", "int_pseudonym_proeve", "--target", target, **env)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.mark.parametrize("key", KEYS)
def test_duckdb_equals_python_hmac(project_copy: Path, key: str) -> None:
    plant(project_copy)
    built(project_copy, key)
    with duckdb.connect(str(project_copy / "build" / "sykefravaer.duckdb"), read_only=True) as connection:
        rows = dict(connection.sql("select verdi, pseudonym from intermediate.int_pseudonym_proeve").fetchall())
    assert rows == {**{value: expected(key, value) for value in VALUES}, None: None}


@pytest.mark.postgres
@pytest.mark.parametrize("key", KEYS)
def test_postgres_equals_duckdb_and_python_hmac_and_its_statements_hold_no_key(
    project_copy: Path, pg_env: dict[str, str], key: str
) -> None:
    """Everything the key load and the build send to PostgreSQL passes a relay that keeps it: the pads arrive as
    COPY data only, never in a statement's text (what log_statement or pg_stat_statements would keep)."""
    import psycopg2

    plant(project_copy)
    with wire.relay(pg_env["PGHOST"], int(pg_env["PGPORT"])) as (port, sent):
        relayed = {
            **pg_env,
            "PGPORT": str(port),
            "PGHOST": "127.0.0.1",
            "PGSSLMODE": "disable",
            "PGGSSENCMODE": "disable",
        }
        built(project_copy, key, "postgres", **relayed)
    material = key_material(key)
    statements = sent.statements()
    assert any("pseudonymisering" in text and "nokkel" in text for text in statements), "the relay saw the build"
    assert [line for text in statements for line in in_text(text, material, "a statement")] == []
    assert in_text(sent.copy_data(), material, "COPY data"), "the relay saw the key load"

    connection = psycopg2.connect(
        host=pg_env["PGHOST"],
        port=pg_env["PGPORT"],
        user=pg_env["PGUSER"],
        password=pg_env["PGPASSWORD"],
        dbname=pg_env["PGDATABASE"],
    )
    with connection, connection.cursor() as cursor:
        cursor.execute("select verdi, pseudonym from intermediate.int_pseudonym_proeve")
        on_postgres = dict(cursor.fetchall())
    connection.close()
    built(project_copy, key)
    with duckdb.connect(str(project_copy / "build" / "sykefravaer.duckdb"), read_only=True) as duck:
        on_duckdb = dict(duck.sql("select verdi, pseudonym from intermediate.int_pseudonym_proeve").fetchall())
    assert on_postgres == on_duckdb == {**{value: expected(key, value) for value in VALUES}, None: None}


def test_compiling_needs_no_key_and_the_compiled_sql_holds_none(project_copy: Path) -> None:
    result = dbt(project_copy, "compile", "--select", "sykefravaer_person")
    assert result.returncode == 0, result.stdout[-3000:]
    compiled = next((project_copy / "target" / "compiled").rglob("sykefravaer_person_v1.sql")).read_text("utf-8")
    assert '(select pads.ipad from "sykefravaer"."pseudonymisering"."nokkel" as pads)' in compiled
    assert not (project_copy / "build" / KEY_FILE).exists()


def test_a_run_without_the_key_table_says_what_to_do(project_copy: Path) -> None:
    plant(project_copy)
    result = dbt(project_copy, "run", "--select", "int_pseudonym_proeve")
    assert result.returncode != 0
    assert (
        'pseudonymize(verdi) in int_pseudonym_proeve: the pseudonymisation key table "sykefravaer".'
        '"pseudonymisering"."nokkel" does not exist on target duckdb. `dataprodukt run` fills it from '
        "DATAPRODUKT_PSEUDONYM_KEY before dbt runs; before plain dbt, run `dataprodukt key` once"
    ) in " ".join(result.stdout.split())


def test_short_key_is_refused(project_copy: Path) -> None:
    result = run_cli(project_copy, "key", env=clean_env(**{KEY_VARIABLE: "kort"}), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "dataprodukt key: error: the key in DATAPRODUKT_PSEUDONYM_KEY is 4 bytes long (sykefravaer_person "
        "pseudonymise with it): use a random key of 32 to 64 characters (e.g. `openssl rand -hex 32`)"
    )


def test_production_without_the_key_names_the_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    with pytest.raises(UserError) as raised:
        current_key(Project(tmp_path, "bigquery"), ["sykefravaer_person"])
    assert str(raised.value).startswith(
        "DATAPRODUKT_PSEUDONYM_KEY is not set, and sykefravaer_person pseudonymise with it: set it from the secret "
        "store (in GitHub Actions the repository secret DATAPRODUKT_PSEUDONYM_KEY, see docs/ci.md)"
    )
    assert not (tmp_path / "build" / KEY_FILE).exists()


def test_main_job_pseudonymises_with_the_local_development_key(example_duckdb: BuiltExample) -> None:
    key = (example_duckdb.root / "build" / KEY_FILE).read_text(encoding="utf-8").strip()
    database = example_duckdb.root / "build" / "sykefravaer.duckdb"
    person = relation_name(example_duckdb.root, "sykefravaer_person")
    with duckdb.connect(str(database), read_only=True) as connection:
        pairs = connection.sql(
            "select distinct person.person_pseudonym, arbeidsforhold.fodselsnummer "
            f"from {person} as person "
            "inner join intermediate.int_arbeidsforhold_kvartal as arbeidsforhold "
            "using (arbeidsforhold_id, kvartal)"
        ).fetchall()
        stored = connection.sql("select ipad, opad from pseudonymisering.nokkel").fetchall()
    assert len(pairs) > 100
    assert all(pseudonym == expected(key, fodselsnummer) for pseudonym, fodselsnummer in pairs)
    assert stored == [pads(key)]


class TestDevelopmentKey:
    @pytest.fixture(autouse=True)
    def no_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(KEY_VARIABLE, raising=False)

    def test_made_once_private_and_reused(self, tmp_path: Path) -> None:
        ensure_key("duckdb", tmp_path)
        key = os.environ[KEY_VARIABLE]
        assert len(key) == 64
        assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
        os.environ.pop(KEY_VARIABLE)
        ensure_key("postgres", tmp_path)
        assert os.environ[KEY_VARIABLE] == key

    def test_environment_wins(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(KEY_VARIABLE, "from-the-secret-store-" + "s" * 20)
        ensure_key("duckdb", tmp_path)
        assert not (tmp_path / KEY_FILE).exists()

    def test_never_for_bigquery(self, tmp_path: Path) -> None:
        ensure_key("bigquery", tmp_path)
        assert KEY_VARIABLE not in os.environ
        assert not (tmp_path / KEY_FILE).exists()

    def test_bad_key_file_is_a_user_error(self, tmp_path: Path) -> None:
        (tmp_path / KEY_FILE).write_text("kort\n", encoding="utf-8")
        with pytest.raises(UserError, match="holds a key of 4 bytes: delete the file"):
            ensure_key("duckdb", tmp_path)


def test_bigquery_form_computes_the_same_hmac(project_copy: Path) -> None:
    """BigQuery can't run here: its rendered SQL is read with sqlglot's BigQuery dialect (SHA256 returns BYTES there),
    translated to DuckDB and run over a key table holding the pads; the guard must also recognise its shape as
    pseudonymisation."""
    import sqlglot

    from dataprodukt.rules.column_origin import HASHES, _is_pseudonymisation
    from tests.test_suppression import compile_inline

    rendered = compile_inline(project_copy, "{{ bigquery__pseudonymize('verdi', 'pseudonymisering.nokkel') }}")
    query = sqlglot.parse_one(f"select {rendered} as pseudonym from proeve", read="bigquery")
    outer = next(query.find_all(*HASHES))
    assert _is_pseudonymisation(outer)
    # ASCII only: sqlglot writes BigQuery's CAST(STRING AS BYTES) (UTF-8) as DuckDB's CAST(... AS BLOB), which
    # refuses other characters; the engines' own runs above cover non-ASCII text
    values = [value for value in VALUES if value.isascii()]
    with duckdb.connect() as connection:
        connection.execute("create table proeve as select unnest(?::varchar[]) as verdi", [values])
        connection.execute("create schema pseudonymisering")
        connection.execute("create table pseudonymisering.nokkel as select ? as ipad, ? as opad", list(pads(KEYS[1])))
        got = [row[0] for row in connection.sql(query.sql(dialect="duckdb")).fetchall()]
    assert got == [expected(KEYS[1], value) for value in values]
