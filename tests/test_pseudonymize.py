"""The pseudonymize macro gives Python's HMAC-SHA-256 on DuckDB and PostgreSQL, and refuses to run without a key."""

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
from dataprodukt.core.pseudonym_key import KEY_FILE, KEY_VARIABLE, ensure_key
from tests.conftest import BuiltExample, clean_env
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


def built(project: Path, key: str, **env: str) -> None:
    result = dbt(project, "run", "--select", "int_pseudonym_proeve", **{KEY_VARIABLE: key}, **env)
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
def test_postgres_equals_duckdb_and_python_hmac(project_copy: Path, pg_env: dict[str, str], key: str) -> None:
    import psycopg2

    plant(project_copy)
    built(project_copy, key, DBT_TARGET="postgres", **pg_env)
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


def test_missing_key_is_a_clear_compile_error(project_copy: Path) -> None:
    result = dbt(project_copy, "compile", "--select", "sykefravaer_person")
    assert result.returncode != 0
    assert (
        "pseudonymize(arbeidsforhold_kvartal.fodselsnummer) in sykefravaer_person: the environment variable "
        "DATAPRODUKT_PSEUDONYM_KEY is not set" in " ".join(result.stdout.split())
    )


def test_short_key_is_refused(project_copy: Path) -> None:
    result = dbt(project_copy, "compile", "--select", "sykefravaer_person", **{KEY_VARIABLE: "kort"})
    assert result.returncode != 0
    assert "the key in DATAPRODUKT_PSEUDONYM_KEY is 4 bytes long" in " ".join(result.stdout.split())


def test_parse_needs_no_key(project_copy: Path) -> None:
    assert dbt(project_copy, "parse").returncode == 0


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
    assert len(pairs) > 100
    assert all(pseudonym == expected(key, fodselsnummer) for pseudonym, fodselsnummer in pairs)


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
    translated to DuckDB and run; the guard must also recognise its shape as pseudonymisation."""
    import sqlglot

    from dataprodukt.rules.column_origin import HASHES, _is_pseudonymisation
    from tests.test_suppression import compile_inline

    key = KEYS[1].encode("utf-8").ljust(64, b"\0")
    ipad, opad = bytes(byte ^ 0x36 for byte in key).hex(), bytes(byte ^ 0x5C for byte in key).hex()
    rendered = compile_inline(project_copy, f"{{{{ bigquery__pseudonymize('verdi', '{ipad}', '{opad}') }}}}")
    query = sqlglot.parse_one(f"select {rendered} as pseudonym from proeve", read="bigquery")
    outer = next(query.find_all(*HASHES))
    assert _is_pseudonymisation(outer)
    # ASCII only: sqlglot writes BigQuery's CAST(STRING AS BYTES) (UTF-8) as DuckDB's CAST(... AS BLOB), which
    # refuses other characters; the engines' own runs above cover non-ASCII text
    values = [value for value in VALUES if value.isascii()]
    with duckdb.connect() as connection:
        connection.execute("create table proeve as select unnest(?::varchar[]) as verdi", [values])
        got = [row[0] for row in connection.sql(query.sql(dialect="duckdb")).fetchall()]
    assert got == [expected(KEYS[1], value) for value in values]
