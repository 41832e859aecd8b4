"""Links to KLASS classifications and Vardef variable definitions, in the form Statistics Norway's reader stores.

Datadoc's reader (dapla-toolbelt-metadata) rewrites a KLASS address (``https://www.ssb.no/klass/klassifikasjoner/104``,
the English page or the API) as ``urn:ssb:classification:klass:104`` and a Vardef address
(``https://metadata.ssb.no/variable-definitions/<8-character id>``, also ``catalog.``, ``intern.`` and ``test.``
hosts) as ``urn:ssb:variable-definition:vardef:<id>``, and writes the URN back. The export writes the URN itself, so
the reader finds nothing to change. Any other address is kept as written. The catalog page turns a URN back into
the address a browser opens.
"""

from __future__ import annotations

import re

KLASS_URN = "urn:ssb:classification:klass:"
VARDEF_URN = "urn:ssb:variable-definition:vardef:"
KLASS_URL = re.compile(
    r"^https://(?:www\.ssb\.no(?:/en)?/klass/klassifikasjoner|data\.ssb\.no/api/klass/v1/classifications)/([0-9]{1,5})"
)
VARDEF_URL = re.compile(
    r"^https://(?:metadata|catalog)\.(?:intern\.)?(?:test\.)?ssb\.no/variable-definitions/([a-zA-Z0-9_-]{8})"
)
KLASS_PAGE = "https://www.ssb.no/klass/klassifikasjoner/"
VARDEF_PAGE = "https://metadata.ssb.no/variable-definitions/"


def classification_urn(value: str | None) -> str | None:
    """A KLASS address as its URN (the version in ``.../104/versjon/2030`` is dropped, as the reader does)."""
    if value is None:
        return None
    text = str(value).strip()
    found = KLASS_URL.match(text)
    if found:
        return KLASS_URN + str(int(found[1]))
    if text.isdigit():  # a bare KLASS id
        return KLASS_URN + str(int(text))
    return text


def definition_urn(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    found = VARDEF_URL.match(text)
    return VARDEF_URN + found[1] if found else text


def klass_id(value: str | None) -> int | None:
    """The KLASS id a classification link names (URN or address); None for anything else."""
    urn = classification_urn(value)
    if urn and urn.startswith(KLASS_URN) and urn[len(KLASS_URN) :].isdigit():
        return int(urn[len(KLASS_URN) :])
    return None


def browser_url(value: str | None) -> str:
    """Where a person opens a link: a KLASS or Vardef URN becomes its page; anything else stays."""
    text = str(value or "").strip()
    if text.startswith(KLASS_URN):
        return KLASS_PAGE + text[len(KLASS_URN) :]
    if text.startswith(VARDEF_URN):
        return VARDEF_PAGE + text[len(VARDEF_URN) :]
    return text
