"""``dataprodukt codelists refresh``: the project's code lists fetched anew from KLASS's API, where the network allows.

For each list in ``codelists/`` with a KLASS id (and each ``--add ID:FIELD``): the classification
(``/classifications/<id>``, for its name and the version valid today) and its codes valid today
(``/classifications/<id>/codes?from=<today>``); and the list of every KLASS classification
(``/classifications``, page by page) for the ids a ``classification_uri`` may name. Everything is fetched before
anything is written, so a failure leaves the lists as they were. The API's address is ``$DATAPRODUKT_KLASS_URL``
(default ``https://data.ssb.no/api/klass/v1``); nothing else is contacted.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc import code_lists
from dataprodukt.datadoc.code_lists import CLASSIFICATIONS, CLASSIFICATIONS_FILE, Code, CodeList
from dataprodukt.datadoc.http_client import request

DEFAULT_URL = "https://data.ssb.no/api/klass/v1"
URL_VARIABLE = "DATAPRODUKT_KLASS_URL"
PAGE_SIZE = 500
WHAT = "KLASS"


def klass_url(given: str | None = None) -> str:
    return (given or os.environ.get(URL_VARIABLE) or DEFAULT_URL).rstrip("/")


def _get(base: str, path: str, **query: Any) -> Any:
    url = f"{base}{path}" + (f"?{urlencode(query)}" if query else "")
    try:
        fix = f"check the KLASS id and the API's address (--klass-url, ${URL_VARIABLE})"
        return request("GET", url, headers={"Accept": "application/json"}, what=WHAT, fix=fix).json()
    except ValueError as error:
        raise UserError(f"{WHAT}: GET {url} did not answer JSON ({error}); is {URL_VARIABLE} KLASS's API?") from error


def _version(classification: dict[str, Any], today: str) -> str | None:
    """The name of the version valid today (KLASS lists a classification's versions with their periods)."""
    for version in classification.get("versions") or []:
        starts, ends = str(version.get("validFrom") or ""), str(version.get("validTo") or "")
        if starts <= today and (not ends or today < ends):
            return str(version.get("name") or starts)
    return None


def fetch_list(base: str, klass: int, field: str, today: str) -> CodeList:
    classification = _get(base, f"/classifications/{klass}", language="nb")
    found = _get(base, f"/classifications/{klass}/codes", **{"from": today, "language": "nb"})
    codes = tuple(
        Code(str(item["code"]), str(item.get("name") or ""), item.get("parentCode") or None, item.get("level"))
        for item in (found or {}).get("codes") or []
    )
    if not codes:
        raise UserError(f"{WHAT} {klass} has no codes valid on {today}: nothing written; check the id")
    name = str(classification.get("name") or "") or None
    source = f"KLASS {klass}, fetched from {base}/classifications/{klass}/codes?from={today} on {today}."
    return CodeList(field, codes, klass, name, _version(classification, today), source)


def _id(item: dict[str, Any]) -> str | None:
    if item.get("id") is not None:
        return str(item["id"])
    href = str(((item.get("_links") or {}).get("self") or {}).get("href") or "")
    found = re.search(r"/classifications/([0-9]+)$", href)
    return found[1] if found else None


def fetch_classifications(base: str, today: str) -> CodeList:
    codes: list[Code] = []
    page, pages = 0, 1
    while page < pages:
        found = _get(base, "/classifications", size=PAGE_SIZE, page=page, language="nb")
        for item in ((found or {}).get("_embedded") or {}).get("classifications") or []:
            klass = _id(item)
            if klass is not None:
                codes.append(Code(klass, str(item.get("name") or "")))
        pages = int(((found or {}).get("page") or {}).get("totalPages") or 1)
        page += 1
    codes.sort(key=lambda code: int(code.code))
    source = f"Every KLASS classification, fetched from {base}/classifications on {today}."
    return CodeList(CLASSIFICATIONS, tuple(codes), None, "KLASS-klassifikasjoner", None, source)


def file_name(codes: CodeList) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (codes.field or "").lower()).strip("-")
    return f"klass-{codes.klass_id}-{slug}.json"


def refresh(root: Path, add: list[tuple[int, str]], base: str | None = None) -> list[str]:
    """Fetch every list, then write them all; the files written (relative to the project)."""
    url, today = klass_url(base), date.today().isoformat()
    folder = root / code_lists.FOLDER
    wanted: dict[str, tuple[int, str]] = {}  # file -> (KLASS id, field)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        codes = code_lists.read_list(path)
        if codes.klass_id is not None:
            wanted[path.name] = (codes.klass_id, codes.field)
    for klass, field in add:  # the field's list comes from this classification now
        wanted = {file: pair for file, pair in wanted.items() if pair[1] != field}
        wanted[file_name(CodeList(field, (), klass))] = (klass, field)
    fetched = {file: fetch_list(url, klass, field, today) for file, (klass, field) in wanted.items()}
    fetched[CLASSIFICATIONS_FILE] = fetch_classifications(url, today)
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("klass-*.json"):
        if path.name not in fetched and code_lists.read_list(path).klass_id is not None:
            path.unlink()  # replaced by a list for the same field from another classification
    for file, codes in fetched.items():
        (folder / file).write_text(code_lists.list_text(codes, {"retrieved": today}), encoding="utf-8")
    return [f"{code_lists.FOLDER}/{file}" for file in sorted(fetched)]


def parse_add(values: list[str]) -> list[tuple[int, str]]:
    """``712:data_source`` -> (712, "data_source")."""
    found = []
    for value in values:
        klass, _, field = value.partition(":")
        if not klass.strip().isdigit() or field.strip() not in {"unit_type", "subject_field", "data_source"}:
            raise UserError(
                f"--add {value!r}: write KLASS_ID:FIELD, the field one of unit_type, subject_field, data_source "
                "(e.g. --add 712:data_source)"
            )
        found.append((int(klass), field.strip()))
    return found
