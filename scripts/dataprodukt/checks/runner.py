"""Run every registered check over one compiled manifest and print every violation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dataprodukt.checks import CHECKS, CheckContext, Violation, load_checks
from dataprodukt.core.dbt_session import DbtSession
from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project


def compiled_context(project: Project, state: Path | None = None, dbt_vars: str = "") -> CheckContext:
    """Compile the project once (no warehouse writes; with the run's ``--vars``) and hand its manifest to every
    check."""
    session = DbtSession(project, quiet=True, dbt_vars=dbt_vars)
    session.invoke(["compile"])
    return CheckContext(project=project, manifest=session.manifest_json(), state=state)


def run_checks(
    project: Project,
    only: Sequence[str] = (),
    context: CheckContext | None = None,
    state: Path | None = None,
    dbt_vars: str = "",
) -> int:
    names = tuple(only) or CHECKS
    unknown = sorted(set(names) - set(CHECKS))
    if unknown:
        raise UserError(f"unknown check(s) {', '.join(unknown)}: choose from {', '.join(CHECKS)}")
    context = context or compiled_context(project, state, dbt_vars)
    failed: list[Violation] = []
    for name, check in load_checks(names):
        violations = sorted(check(context))
        status = "ok" if not violations else f"{len(violations)} violation(s)"
        print(f"check {name}: {status}")
        for violation in violations:
            print(f"  {violation}")
        failed.extend(violations)
    for note in context.notes:
        print(f"note: {note}")
    if failed:
        models = sorted({violation.model for violation in failed})
        print(f"{len(failed)} violation(s) in {len(models)} model(s): {', '.join(models)}")
        return 1
    print(f"all {len(names)} check(s) passed")
    return 0
