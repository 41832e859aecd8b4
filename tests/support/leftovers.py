"""Where key material could be left behind by a run: files, rows, query texts. Each finder returns one line per
place that holds the key or one of its HMAC pads (lower or upper case hex), so an assertion shows them all."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dataprodukt.core.pseudonym_key import pads


def key_material(key: str) -> dict[str, bytes]:
    ipad, opad = pads(key)
    found = {"the key": key.encode("utf-8")}
    for name, pad in (("the inner pad", ipad), ("the outer pad", opad)):
        found[name] = pad.encode("ascii")
        found[f"{name} (upper case)"] = pad.upper().encode("ascii")
    return found


def in_text(text: bytes | str, material: dict[str, bytes], where: str) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return [f"{where}: {name}" for name, needle in material.items() if needle in data]


def in_files(folders: Iterable[Path], material: dict[str, bytes], skip: Iterable[Path] = ()) -> list[str]:
    """Every file below the folders (except ``skip``) holding key material; the folders must exist."""
    skipped = {path.resolve() for path in skip}
    found: list[str] = []
    for folder in folders:
        assert folder.is_dir(), f"{folder} is missing: nothing to search"
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.resolve() not in skipped:
                found += in_text(path.read_bytes(), material, str(path))
    return found


def in_rows(rows: Iterable[Any], material: dict[str, bytes], where: str) -> list[str]:
    return [line for number, row in enumerate(rows) for line in in_text(repr(row), material, f"{where} row {number}")]
