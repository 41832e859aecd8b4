"""The CLI's verbs, one module each, found by file name.

A verb module defines ``register(verbs)``, which adds its parser to the CLI's subparsers with
``verbs.add_parser(...)`` and ``parser.set_defaults(handler=handle)``, and ``handle(args) -> int``, which does the
work and returns the exit status. Raise ``dataprodukt.core.errors.UserError`` for a clear one-line error.
Shared options: ``dataprodukt.commands.add_target(parser)`` and ``dataprodukt.commands.project(args)``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
from types import ModuleType

from dataprodukt.core.project import DEFAULT_TARGET, TARGETS, Project

# the verbs in the order of the analyst's journey (help lists them so); a new module is listed after them
JOURNEY = (
    "run",
    "generate",
    "load",
    "add_source",
    "key",
    "scaffold",
    "check",
    "lint",
    "publish",
    "version",
    "export",
    "codelists",
    "names",
    "catalog",
    "push",
    "status",
    "period",
    "new",
    "bq_emulator",
    "gcs_emulator",
    "clean",
)


def discover() -> list[ModuleType]:
    names = [info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    ordered = sorted(names, key=lambda name: (JOURNEY.index(name) if name in JOURNEY else len(JOURNEY), name))
    return [importlib.import_module(f"{__name__}.{name}") for name in ordered]


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default=None,
        help=f"dbt target in profiles/profiles.yml (default: $DBT_TARGET or {DEFAULT_TARGET})",
    )


def project(args: argparse.Namespace) -> Project:
    """The project the command runs in; the working directory becomes its root, as dbt expects."""
    found = Project.discover(target=getattr(args, "target", None))
    os.chdir(found.root)
    return found
