from tests.conftest import BuiltExample


def test_example_builds_on_duckdb(example_duckdb: BuiltExample) -> None:
    assert (example_duckdb.root / "build" / "sykefravaer.duckdb").is_file()


def test_example_builds_on_postgres(example_postgres: BuiltExample) -> None:
    import psycopg2

    env = example_postgres.env
    connection = psycopg2.connect(
        host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env["PGPASSWORD"], dbname=env["PGDATABASE"]
    )
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from sykefravaer_statistikk.sykefravaersprosent_p2024_q1_p2024_q4_v1")
        assert cursor.fetchone()[0] > 100
