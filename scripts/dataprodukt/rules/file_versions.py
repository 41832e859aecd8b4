"""Version helpers for stored datasets, equivalent to ssb-fagfunksjoner's ``get_fileversions``,
``latest_version_number``, ``latest_version_path`` and ``next_version_path``.

Each takes the path of any file of the dataset (versioned or the unversioned latest copy, local or ``gs://``) and
looks at its siblings: ``<stem>_v<N>.<ext>`` files, or ``<stem>_v<N>/`` folders of a partitioned dataset.
Neither the latest copy (no ``_v<N>``) nor metadata siblings such as ``<stem>_v1__DOC.json`` count as versions.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from dataprodukt.core.storage import Storage
from dataprodukt.rules.naming_standard import split_extension

VERSION_SUFFIX = re.compile(r"_v(?P<number>0|[1-9]\d*)$")


def _parts(path: str) -> tuple[Storage, str, str, str]:
    """(storage of the folder, folder, stem without version, extension)."""
    text = str(path)
    folder, _, name = text.rstrip("/").rpartition("/")
    stem, extension = split_extension(name)
    base = VERSION_SUFFIX.sub("", stem)
    return Storage(folder or "."), folder, base, extension


def _versions(path: str) -> list[tuple[int, str]]:
    storage, folder, base, extension = _parts(path)
    pattern = re.compile(
        rf"^{re.escape(base)}_v(?P<number>0|[1-9]\d*)" + (rf"\.{re.escape(extension)}$" if extension else "$")
    )
    found = []
    for name in storage.listdir(""):
        match = pattern.match(name)
        if match:
            found.append((int(match["number"]), f"{folder}/{name}" if folder else name))
    return sorted(found)


def get_fileversions(path: str) -> list[str]:
    """Every stored version of the dataset, oldest first."""
    return [found for _number, found in _versions(path)]


def latest_version_number(path: str) -> int | None:
    """The highest stored version number, or None when no version is stored."""
    versions = _versions(path)
    return versions[-1][0] if versions else None


def latest_version_path(path: str) -> str | None:
    """The path of the highest stored version, or None when no version is stored."""
    versions = _versions(path)
    return versions[-1][1] if versions else None


def next_version_number(path: str) -> int:
    """One above the highest stored version; 1 when none is stored (v0 is only for unstable data)."""
    latest = latest_version_number(path)
    return 1 if latest is None else latest + 1


def next_version_path(path: str) -> str:
    """The path the next version is to be written to."""
    _storage, folder, base, extension = _parts(path)
    name = f"{base}_v{next_version_number(path)}" + (f".{extension}" if extension else "")
    return str(PurePosixPath(folder, name)) if folder and "://" not in folder else f"{folder}/{name}"
