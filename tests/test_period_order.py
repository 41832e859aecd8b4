"""One definition of period order, two implementations: the name check in Python
(dataprodukt.rules.naming_standard) and the dbt macros that name published models (macros/naming/). One table,
tests/data/period_order.csv, drives both: each period's start (the sortable key ``YYYY-MM-DDTHH-mm-ss.SSS``)
and the problems of each ``_p<FROM>_p<TO>`` pair, in every period form of the standard and across forms."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dataprodukt.rules.naming_standard import parse_dataset_name
from tests.conftest import REPO, clean_env

TABLE = REPO / "tests" / "data" / "period_order.csv"
PROJECT = REPO / "tests" / "projects" / "period_order"
FORMS = {"year", "month", "date", "week", "bimester", "quarter", "tertial", "half-year", "date-time"}


def cases() -> list[dict[str, str]]:
    with TABLE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def case_id(case: dict[str, str]) -> str:
    return f"{case['period_from']}_{case['period_to']}"


def test_the_table_covers_every_form_alone_and_across_forms() -> None:
    from dataprodukt.rules.naming_standard import parse_period

    pairs = [(parse_period(case["period_from"]).form, parse_period(case["period_to"]).form) for case in cases()]
    assert {first for first, second in pairs if first == second} == FORMS
    assert {first for first, second in pairs if first != second} | {
        second for first, second in pairs if first != second
    } == FORMS


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_the_name_check_follows_the_table(case: dict[str, str]) -> None:
    first, second = case["period_from"], case["period_to"]
    name, violations = parse_dataset_name(f"skjema_p{first}_p{second}_v1")
    expected = [f"periods p{first} and p{second}: {problem}" for problem in case["problems"].split("; ") if problem]
    assert [str(violation) for violation in violations] == expected
    assert (name is None) == bool(expected)


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_python_period_start_and_order_follow_the_table(case: dict[str, str]) -> None:
    from dataprodukt.rules.naming_standard import period_order_problems, period_start

    assert (period_start(case["period_from"]), period_start(case["period_to"])) == (
        case["from_start"],
        case["to_start"],
    )
    assert "; ".join(period_order_problems(case["period_from"], case["period_to"])) == case["problems"]


def test_the_dbt_macros_follow_the_table(tmp_path: Path) -> None:
    table = cases()
    arguments = {"cases": [{"period_from": case["period_from"], "period_to": case["period_to"]} for case in table]}
    command = [str(Path(sys.executable).parent / "dbt"), "--quiet", "--log-path", str(tmp_path)]
    command += ["run-operation", "period_order_cases", "--args", json.dumps(arguments)]
    command += ["--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT), "--target-path", str(tmp_path / "t")]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    printed = [line for line in done.stdout.splitlines() if line.startswith("PERIOD_ORDER ")]
    assert done.returncode == 0 and printed, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(printed[0].removeprefix("PERIOD_ORDER "))
    expected = [{key: case[key] for key in ("from_start", "to_start", "problems")} for case in table]
    assert {case_id(case): row for case, row in zip(table, found, strict=True)} == {
        case_id(case): row for case, row in zip(table, expected, strict=True)
    }
