"""`dataprodukt new`: short names and settings are validated, and a new product is created that runs on its own.

A product made from scratch is committed, cloned afresh, and walked through docs/journey.md with every command as the
page shows it (run through bash, the product's `.venv/bin` first on PATH): `make run` and `make test` with no source
yet; three sources of its own (`;`-separated Latin-1 extracts, a PostgreSQL table, a folder of changes in parquet),
a published statistics model, a second delivery, v2 from corrected data and v3 from a changed model. The tooling's
tests travel with it (`make test-tooling`, on the example in tests/example/); running them all again here would take
half an hour, so they are not. `.venv` in the new folder links to the running virtualenv; make is run with
`-o .venv/.installed` so that it never reinstalls into it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataprodukt.core.errors import UserError
from dataprodukt.load.new_product import Template, check_short_name
from dataprodukt.load.product_files import ProductSettings
from tests.conftest import REPO, clean_env, run_cli
from tests.support import postgres

VALID = [("ameld_data", False), ("nudb_data", False), ("sykefravaer2_data", False), ("kpi", True), ("ledstill", True)]
INVALID = [
    ("Ameld_data", False, "lower-case a-z, 0-9 and _ only"),
    ("sykefravær_data", False, "'sykefravaer_data'"),
    ("ameld-data", False, "'ameld_data'"),
    ("2024_data", False, "starting with a letter"),
    ("ameld", False, "ends in _data (e.g. 'ameld_data')"),
    ("_data", False, "starting with a letter"),
    ("data", False, "ends in _data"),
    ("ameld__data", False, "no double underscore"),
    ("kpi_data", True, "drop --statistics"),
    ("a" * 41 + "_data", False, "keep it to 40"),
]


@pytest.mark.parametrize(("name", "statistics"), VALID)
def test_a_valid_short_name_passes(name: str, statistics: bool) -> None:
    assert check_short_name(name, statistics) == name


@pytest.mark.parametrize(("name", "statistics", "message"), INVALID)
def test_an_invalid_short_name_is_refused(name: str, statistics: bool, message: str) -> None:
    with pytest.raises(UserError, match=r"short name") as error:
        check_short_name(name, statistics)
    assert message in str(error.value)


# what a product is asked for, as flags (an owner code and periods the example does not have)
SETTINGS = (
    "--team",
    "team-ameld",
    "--owner-code",
    "974",
    "--title",
    "A-meldingen: arbeidsforhold",
    "--period-from",
    "2025-Q1",
    "--period-to",
    "2025-Q4",
)
# the example's names, texts and settings: none may be in a product made without it (outside tests/example/)
EXAMPLE_TRACES = ("sykefravaer", "Sykefravær", "team-sykefravaer", "2024-Q", '"212"', "synthetic_extracts")
# the product's own project files (the tooling, its docs and the example's fixture are the template's)
OWN_FILES = ("dbt_project.yml", "profiles", "models", "seeds", "snapshots", "README.md", "datapackage.json", "LICENSE")


def test_the_example_project_is_found_in_the_template() -> None:
    template = Template(REPO)
    assert template.example_root == REPO
    assert (template.name, template.profile, template.product) == ("sykefravaer", "sykefravaer", "sykefravaer")


SETTING_PROBLEMS = [
    ({"team": "Team A"}, "team 'Team A': lower-case a-z"),
    ({"owner_code": " "}, "owner code: give the owning unit's code"),
    ({"title": ""}, "title: give the product's title"),
    ({"period_from": "2025-Q4", "period_to": "2025-Q1"}, "2025-Q4"),
    ({"period_from": "2025-13"}, "2025-13"),
    ({"target": "oracle"}, "target 'oracle': choose one of"),
]


@pytest.mark.parametrize(("change", "message"), SETTING_PROBLEMS)
def test_a_wrong_setting_is_refused_with_what_to_give(change: dict[str, str], message: str) -> None:
    given = {"team": "team-ameld", "owner_code": "974", "title": "A", "period_from": "2025-Q1", "period_to": "2025-Q4"}
    settings = ProductSettings(name="ameld_data", **{**given, **change})  # type: ignore[arg-type]
    assert any(message in problem for problem in settings.problems()), settings.problems()
    assert ProductSettings(name="ameld_data", **given).problems() == []  # type: ignore[arg-type]
    one_period = {**given, "period_from": "2025", "period_to": "2025"}
    assert ProductSettings(name="ameld_data", **one_period).problems() == []  # type: ignore[arg-type]


def test_without_a_terminal_every_setting_must_be_given(tmp_path: Path) -> None:
    result = run_cli(REPO, "new", "ameld_data", str(tmp_path / "ny"), "--team", "team-ameld", check=False)
    assert result.returncode == 2
    assert "--owner-code ... --title ... --period-from ... --period-to ..." in result.stderr
    assert "--team" not in result.stderr.split("give the product's settings:")[1]
    assert not (tmp_path / "ny").exists()


def _make(folder: Path, target: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["make", "-o", ".venv/.installed", target],
        cwd=folder,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"make {target}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result


def _git(folder: Path, *args: str) -> str:
    env = clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t")
    env["GIT_COMMITTER_EMAIL"] = "t@example.org"
    result = subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _new(folder: Path, *args: str) -> Path:
    result = run_cli(REPO, "new", args[0], str(folder), *args[1:])
    assert f"created {folder}" in result.stdout
    return folder


def _with_venv(folder: Path) -> Path:
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return folder


def _identity(folder: Path) -> tuple[object, ...]:
    project = yaml.safe_load((folder / "dbt_project.yml").read_text(encoding="utf-8"))
    profiles = yaml.safe_load((folder / "profiles" / "profiles.yml").read_text(encoding="utf-8"))
    return project["name"], project["profile"], project["vars"]["product"], sorted(profiles)


def _own_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for name in OWN_FILES:
        path = folder / name
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            texts[str(file.relative_to(folder))] = file.read_text(encoding="utf-8")
    return texts


def test_a_new_product_has_its_settings_and_none_of_the_example(tmp_path: Path) -> None:
    folder = _new(tmp_path / "product", "ameld_data", *SETTINGS, "--target", "postgres")

    assert _identity(folder) == ("ameld_data", "ameld_data", "ameld_data", ["ameld_data"])
    project = yaml.safe_load((folder / "dbt_project.yml").read_text(encoding="utf-8"))
    variables = project["vars"]
    assert (variables["owner"], variables["period_from"], variables["period_to"]) == (
        "team-ameld",
        "2025-Q1",
        "2025-Q4",
    )
    assert variables["datapackage"]["title"] == "A-meldingen: arbeidsforhold"
    assert variables["datapackage"]["contributors"] == [{"title": "team-ameld", "role": "author"}]
    assert project["models"]["ameld_data"]["statistikk"]["+meta"]["owner"] == "974"
    profiles = (folder / "profiles" / "profiles.yml").read_text(encoding="utf-8")
    assert "build/ameld_data.duckdb" in profiles and "env_var('BQ_DATASET', '') or 'ameld_data'" in profiles
    assert "env_var('DBT_TARGET', 'postgres')" in profiles
    traces = {
        f"{path}: {trace}" for path, text in _own_texts(folder).items() for trace in EXAMPLE_TRACES if trace in text
    }
    assert not traces
    assert not list((folder / "models").rglob("*.sql")) and not list((folder / "snapshots").rglob("*.yml"))
    for layer in ("staging", "intermediate", "klargjorte_data", "statistikk", "utdata"):
        assert (folder / "models" / layer / ".gitkeep").is_file(), layer
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert (package["name"], package["title"], package["resources"]) == (
        "ameld-data",
        "A-meldingen: arbeidsforhold",
        [],
    )
    assert "team-ameld" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert "It starts empty" in (folder / "README.md").read_text(encoding="utf-8")
    # the tooling and its tests travel; the example's project goes with them as their fixture, its tests stay behind
    for name in ("scripts/dataprodukt", "macros", ".sqlfluff", ".pre-commit-config.yaml", "requirements.lock"):
        assert (folder / name).exists(), name
    kept = {path.name for path in (folder / "tests").glob("*.py")}
    tooling = {
        "test_naming.py",
        "test_staging_check.py",
        "test_scaffold.py",
        "test_privacy_check.py",
        "test_publish.py",
    }
    assert tooling | {"test_product.py"} <= kept
    assert "test_example.py" not in kept
    assert Template(folder).example_root == folder / "tests" / "example"
    assert (folder / "tests" / "example" / "models" / "statistikk" / "sykefravaersprosent_v1.sql").is_file()
    for name in ("build", "target", ".git", "logs", ".venv"):
        assert not (folder / name).exists(), name


JOURNEY = REPO / "docs" / "journey.md"
# the commands of docs/journey.md the journey test does not run, and why
NOT_RUN_HERE = {
    "cd ../ameld_data": "each command runs in the product's folder",
    "dataprodukt status --target bigquery": "tests/bigquery/test_bigquery_emulator.py runs status on BigQuery",
}


def _journey_file(path: str) -> str:
    """A file docs/journey.md shows, in a fenced block whose first line names it (`-- path` or `# path`)."""
    blocks = re.findall(r"^```\w*\n((?:--|#) (\S+)\n.*?)^```", JOURNEY.read_text(encoding="utf-8"), re.M | re.S)
    found = [text for text, named in blocks if named == path]
    assert len(found) == 1, f"docs/journey.md shows {path} {len(found)} times"
    return found[0]


def _without_comment(line: str) -> str:
    """A shell line without its trailing `# comment` (a # outside quotes, at the start or after a space)."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].strip()
    return line.strip()


def journey_commands() -> list[str]:
    """The commands of docs/journey.md: every line of its `sh` blocks, without comments, in the order shown."""
    blocks = re.findall(r"^```sh\n(.*?)^```", JOURNEY.read_text(encoding="utf-8"), re.M | re.S)
    return [command for block in blocks for command in map(_without_comment, block.splitlines()) if command]


class Journey:
    """docs/journey.md's commands, run as written: through bash in a product's folder with its `.venv/bin` first on
    PATH (the journey's activated venv). `make` keeps from reinstalling into the linked virtualenv
    (`-o .venv/.installed`). Remembers what ran, so a command added to the page and never run fails the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.commands = journey_commands()
        self.ran: set[str] = set()
        self.bin = tmp_path / "journey-bin"
        self.bin.mkdir()
        make = self.bin / "make"
        make.write_text(f'#!/bin/sh\nexec {shutil.which("make")} -o .venv/.installed "$@"\n', encoding="utf-8")
        make.chmod(0o755)

    def find(self, start: str) -> str:
        found = [command for command in self.commands if command.startswith(start)]
        assert len(found) == 1, f"docs/journey.md has {len(found)} commands starting {start!r}"
        return found[0]

    def run(
        self, folder: Path, command: str, env: dict[str, str] | None = None, replace: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        assert command in self.commands, f"docs/journey.md shows no command `{command}`"
        line = command
        for old, new in (replace or {}).items():
            line = line.replace(old, new)
        environment = dict(env or clean_env())
        environment["PATH"] = f"{self.bin}:{folder / '.venv' / 'bin'}:{environment['PATH']}"
        result = subprocess.run(
            ["bash", "-c", line], cwd=folder, env=environment, capture_output=True, text=True, timeout=900, check=False
        )
        assert result.returncode == 0, f"{line}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        self.ran.add(command)
        return result

    def not_run(self) -> list[str]:
        return sorted(set(self.commands) - self.ran)


def test_every_command_in_the_journey_is_one_the_cli_takes() -> None:
    """Each `dataprodukt ...` line of docs/journey.md parses with the CLI as it is (its verbs and flags)."""
    from dataprodukt.cli import build_parser

    parser = build_parser()
    lines = re.findall(r"^(?:\.venv/bin/)?dataprodukt (.+?)(?:\s+#.*)?$", JOURNEY.read_text(encoding="utf-8"), re.M)
    assert len(lines) >= 8
    for line in lines:
        args = parser.parse_args(shlex.split(line))
        assert callable(args.handler), line


HEADER = "arbeidsforhold_id;fnr;startdato;yrke"
DELIVERIES = {
    "2025-03-31": ["1;01017012345;01.02.2024;Sjåfør", "2;02027012345;15.03.2024;Lærer"],
    "2025-06-30": [
        "1;01017012345;01.02.2024;Sjåfør",
        "2;02027012345;15.03.2024;Økonom",
        "3;03037012345;01.05.2025;Lege",
    ],
    # the second run's: employment 2 ended (a deletion in history)
    "2025-09-30": ["1;01017012345;01.02.2024;Sjåfør", "3;03037012345;01.05.2025;Lege"],
}
# a source of changes, delivered as parquet on the same days: only what is new, changed or deleted since the last
CHANGES = {
    "2025-03-31": [("S1", "Sjåfør", "I"), ("S2", "Lærer", "I")],
    "2025-09-30": [("S2", "Lærer", "D"), ("S3", "Lege", "I")],
}
STATISTIKK = Path("build/storage/ameld_data/statistikk")


def _published_file(version: int) -> Path:
    return STATISTIKK / f"arbeidsforhold-antall_p2025-Q1_p2025-Q4_v{version}.parquet"


def _deliver(folder: Path, name: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / "extracts" / "ameld" / name / "arbeidsforhold.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes("\n".join([HEADER, *DELIVERIES[name], ""]).encode("latin-1"))
    if name in CHANGES:
        changes = folder / "extracts" / "stillinger" / name / "stillinger.parquet"
        changes.parent.mkdir(parents=True)
        rows = [dict(zip(("stilling_id", "tittel", "endringstype"), row, strict=True)) for row in CHANGES[name]]
        pq.write_table(pa.Table.from_pylist(rows), changes)


def _first_sources(journey: Journey, folder: Path, env: dict[str, str]) -> None:
    """A team's first sources, as docs/journey.md adds them: two deliveries of `;`-separated Latin-1 extracts, a
    PostgreSQL table and a folder of changes in parquet, each added with `dataprodukt add-source`, their TODO
    descriptions written (the docs check refuses them), and the published statistics model docs/journey.md shows
    over their histories."""
    _deliver(folder, "2025-03-31")
    _deliver(folder, "2025-06-30")
    result = journey.run(folder, "dataprodukt add-source ameld arbeidsforhold --folder extracts/ameld", env)
    assert (
        "encoding latin-1, delimiter ';'" in result.stdout and "the history's key is arbeidsforhold_id" in result.stdout
    )
    result = journey.run(folder, journey.find("dataprodukt add-source folkereg personer"), env)
    assert "the history's key is fodselsnummer" in result.stdout
    result = journey.run(folder, journey.find("dataprodukt add-source stillinger stillinger"), env)
    assert "the history's key is stilling_id" in result.stdout
    sources = yaml.safe_load((folder / "models/staging/stillinger/_stillinger__sources.yml").read_text("utf-8"))
    assert sources["sources"][0]["meta"]["loader"]["format"] == "parquet"
    for path in [*(folder / "models" / "staging").rglob("*.yml"), *(folder / "snapshots").glob("*.yml")]:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("TODO: beskriv", "Fra kilden:"), encoding="utf-8")
    for name in ("arbeidsforhold_antall_v1.sql", "_arbeidsforhold_antall.yml"):
        path = f"models/statistikk/{name}"
        (folder / path).write_text(_journey_file(path), encoding="utf-8")


def _history(folder: Path, sql: str) -> list[tuple[object, ...]]:
    import duckdb

    with duckdb.connect(str(folder / "build" / "ameld_data.duckdb"), read_only=True) as connection:
        return connection.sql(sql).fetchall()


ARBEIDSFORHOLD = (
    "select arbeidsforhold_id, yrke, startdato, gyldig_til = timestamp '9999-12-31', er_slettet "
    "from historikk.hist_ameld__arbeidsforhold order by arbeidsforhold_id, gyldig_fra, er_slettet"
)
STILLINGER = (
    "select stilling_id, tittel, gyldig_til = timestamp '9999-12-31', er_slettet "
    "from historikk.hist_stillinger__stillinger order by stilling_id, gyldig_fra, er_slettet"
)


def _published(folder: Path, version: int = 1) -> list[dict[str, object]]:
    import pyarrow.parquet as pq

    return sorted(pq.read_table(folder / _published_file(version)).to_pylist(), key=lambda row: str(row["kommune"]))


def _allow_deleted_share(path: Path, share: float) -> None:
    """Set a history's meta.max_deleted_share, as its owner does in its YAML (docs/history.md)."""
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    for snapshot in content["snapshots"]:
        snapshot.setdefault("config", {}).setdefault("meta", {})["max_deleted_share"] = share
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.postgres
def test_the_journey_runs_as_written_from_new_to_a_second_version_of_a_teams_own_data(
    tmp_path: Path, pg_env: dict[str, str]
) -> None:
    """docs/journey.md, every command as written, on a product made from scratch and cloned afresh: no source yet,
    then three sources of its own, a published statistics model, a second delivery, corrected data published as v2
    and a changed model as v3."""
    import pyarrow.parquet as pq

    journey = Journey(tmp_path)
    made = tmp_path / "made"
    journey.run(REPO, journey.find(".venv/bin/dataprodukt new "), replace={"../ameld_data": str(made)})
    git_env = clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t")
    git_env["GIT_COMMITTER_EMAIL"] = "t@example.org"
    journey.run(made, journey.find("git init && "), git_env)
    _git(tmp_path, "clone", "-q", str(made), "clone")
    clone = _with_venv(tmp_path / "clone")
    journey.run(clone, ".venv/bin/pre-commit install")
    assert "pre-commit" in (clone / ".git" / "hooks" / "pre-commit").read_text(encoding="utf-8")

    # 1. no source yet: the main job runs (nothing to load) and the product's tests pass
    assert "nothing to load" in journey.run(clone, "make run").stdout
    assert " passed" in journey.run(clone, "make test").stdout
    assert (clone / "build" / "catalog" / "site" / "index.html").is_file()

    # 2. its first sources: a folder of extracts, a table in another team's PostgreSQL database, a source of changes
    env = clean_env(**{f"FOLKEREG_{name}": value for name, value in pg_env.items()})
    with postgres.connect(pg_env) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema folkereg; create table folkereg.personer (fnr text, kommune text);"
            "insert into folkereg.personer values ('01017012345', '5501'), ('02027012345', '1804'),"
            "('03037012345', '5501')"
        )
    _first_sources(journey, clone, env)
    assert _git(clone, "status", "--porcelain", "--untracked-files=all", "extracts").strip() == ""  # never committed
    assert "all " in journey.run(clone, "make check", env).stdout
    run = journey.run(clone, "make run", env).stdout
    for delivery in ("2025-03-31 into raw (extracts/ameld): arbeidsforhold 2", "2025-06-30 into raw (extracts/ameld)"):
        assert f"loaded {delivery}" in run, run
    assert "loaded 2025-03-31 into raw (extracts/stillinger): stillinger 2" in run, run
    assert "into raw (postgres:folkereg): personer 3" in run
    assert _published(clone) == [
        {"kommune": 1804, "antall_arbeidsforhold": 1},
        {"kommune": 5501, "antall_arbeidsforhold": 2},
    ]
    document = json.loads(Path(str(clone / _published_file(1)).replace(".parquet", "__DOC.json")).read_text("utf-8"))
    assert document["datadoc"]["dataset"]["dataset_state"] == "STATISTICS"
    assert [v["short_name"] for v in document["datadoc"]["variables"]] == ["kommune", "antall_arbeidsforhold"]
    assert "arbeidsforhold_antall" in (clone / "build" / "catalog" / "site" / "index.html").read_text("utf-8")

    # 3. the model built alone with what it needs (the histories are left as they are), linted and checked
    histories = _history(clone, ARBEIDSFORHOLD), _history(clone, STILLINGER)
    built = journey.run(clone, journey.find("DBT_PROFILES_DIR=profiles dbt build --select "), env).stdout
    assert "Completed successfully" in built
    assert (_history(clone, ARBEIDSFORHOLD), _history(clone, STILLINGER)) == histories
    journey.run(clone, "dataprodukt lint --fix models/statistikk", env)
    assert "all " in journey.run(clone, "make check", env).stdout

    # the second run: a new delivery (employment 2 ended) and a person moved in the database; one of three keys
    # deleted is more than the default share a full extract may delete, so the history allows it in its YAML
    _allow_deleted_share(clone / "snapshots" / "hist_ameld__arbeidsforhold.yml", 0.5)
    _deliver(clone, "2025-09-30")
    with postgres.connect(pg_env) as connection, connection.cursor() as cursor:
        cursor.execute("update folkereg.personer set kommune = '1804' where fnr = '03037012345'")
    run = journey.run(clone, "make run", env).stdout
    assert "loaded 2025-09-30 into raw (extracts/ameld): arbeidsforhold 2" in run
    assert "loaded 2025-09-30 into raw (extracts/stillinger): stillinger 2" in run
    assert "2025-03-31 into raw" not in run  # a recorded delivery is never loaded again
    assert "into raw (postgres:folkereg): personer 3" in run
    assert [row[:2] + row[3:] for row in _history(clone, ARBEIDSFORHOLD)] == [
        ("1", "Sjåfør", True, "False"),
        ("2", "Lærer", False, "False"),
        ("2", "Økonom", False, "False"),
        ("2", "Økonom", True, "True"),
        ("3", "Lege", True, "False"),
    ]
    assert str(_history(clone, ARBEIDSFORHOLD)[0][2]) == "2024-02-01"  # the declared date format, parsed
    # the source of changes: S2's deletion came as a row of its own (endringstype D), S1 untouched by its absence
    assert _history(clone, STILLINGER) == [
        ("S1", "Sjåfør", True, "False"),
        ("S2", "Lærer", False, "False"),
        ("S2", "Lærer", True, "True"),
        ("S3", "Lege", True, "False"),
    ]
    # v1 is published once and never overwritten: the new data waits for a new version
    assert "upstream data changed since arbeidsforhold-antall_p2025-Q1_p2025-Q4_v1 was published" in run
    assert _published(clone)[1] == {"kommune": 5501, "antall_arbeidsforhold": 2}
    v1 = (clone / _published_file(1)).read_bytes()

    # 4. the corrected data as v2 (the code is the same), then a change to the model as v3
    run_cli(clone, "publish", "--new-version", "arbeidsforhold_antall", env=env)
    assert _published(clone, 2) == [
        {"kommune": 1804, "antall_arbeidsforhold": 1},
        {"kommune": 5501, "antall_arbeidsforhold": 1},
    ]
    written = journey.run(clone, "dataprodukt version arbeidsforhold_antall", env).stdout
    assert "change models/statistikk/arbeidsforhold_antall_v3.sql as you need" in written, written
    v3 = clone / "models" / "statistikk" / "arbeidsforhold_antall_v3.sql"
    grouped = "    group by personer.kommune\n"
    v3.write_text(v3.read_text("utf-8").replace(grouped, f"    where arbeidsforhold.yrke <> 'Lege'\n{grouped}"))
    journey.run(clone, "make run && make check", env)
    assert _published(clone, 3) == [{"kommune": 5501, "antall_arbeidsforhold": 1}]

    # 5. the publishing steps alone rewrite nothing
    journey.run(clone, "dataprodukt publish", env)
    assert (clone / _published_file(1)).read_bytes() == v1
    latest = "arbeidsforhold-antall_p2025-Q1_p2025-Q4.parquet"  # the latest alias, moved to v3
    assert sorted(path.name for path in (clone / STATISTIKK).glob("*.parquet")) == [
        latest,
        *(_published_file(version).name for version in (1, 2, 3)),
    ]
    assert pq.read_table(clone / STATISTIKK / latest).to_pylist() == [{"kommune": 5501, "antall_arbeidsforhold": 1}]

    # 6. the period a scheduled run would build; 7. how the runs went
    period = journey.run(clone, "dataprodukt period previous-quarter --vars").stdout.strip()
    assert re.fullmatch(r"\{period_from: '(\d{4}-Q[1-4])', period_to: '\1'\}", period), period
    status = journey.run(clone, "dataprodukt status", env).stdout
    assert "Last runs" in status and "Slowest models" in status

    assert " passed" in journey.run(clone, "make test", env).stdout
    assert journey.not_run() == sorted(NOT_RUN_HERE)


@pytest.mark.slow
def test_a_new_product_with_the_example_runs(tmp_path: Path) -> None:
    folder = _with_venv(_new(tmp_path / "product", "arbeidsmarked_data", *SETTINGS, "--with-example"))

    assert _identity(folder)[:3] == ("arbeidsmarked_data", "arbeidsmarked_data", "arbeidsmarked_data")
    assert (folder / "models" / "statistikk" / "sykefravaersprosent_v1.sql").is_file()
    assert (folder / "tests" / "test_example.py").is_file()
    _make(folder, "run")
    assert (folder / "build" / "arbeidsmarked_data.duckdb").is_file()
    assert "all " in _make(folder, "check").stdout


def test_a_product_is_not_created_over_existing_files(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run_cli(REPO, "new", "ameld_data", str(tmp_path / "taken"), *SETTINGS, check=False)
    assert result.returncode == 2
    assert "is not empty: choose a new folder" in result.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_an_invalid_name_creates_nothing(tmp_path: Path) -> None:
    result = run_cli(REPO, "new", "Sykefravær", str(tmp_path / "ny"), *SETTINGS, check=False)
    assert result.returncode == 2
    assert "error: short name 'Sykefravær'" in result.stderr and "'sykefravaer_data'" in result.stderr
    assert not (tmp_path / "ny").exists()
