"""What the catalog page says instead of codes: Norwegian labels for Datadoc's enums and dbt's words, and the
names the project's code lists give coded values (unit type ``20`` is "Person", subject field ``al04`` is
"Arbeid og lønn / Arbeidsmiljø, sykefravær og arbeidskonflikter")."""

from __future__ import annotations

from typing import Any

from dataprodukt.datadoc import links
from dataprodukt.datadoc.code_lists import CLASSIFICATIONS, CodeLists

LABELS: dict[str, dict[str, str]] = {
    "state": {
        "SOURCE_DATA": "Kildedata",
        "INPUT_DATA": "Inndata",
        "PROCESSED_DATA": "Klargjorte data",
        "STATISTICS": "Statistikk",
        "OUTPUT_DATA": "Utdata",
    },
    "assessment": {"SENSITIVE": "Sensitiv", "PROTECTED": "Skjermet", "OPEN": "Åpen"},
    "status": {"DRAFT": "Utkast", "INTERNAL": "Intern", "EXTERNAL": "Ekstern", "DEPRECATED": "Utgått"},
    "role": {
        "IDENTIFIER": "Identifikator",
        "MEASURE": "Målevariabel",
        "START_TIME": "Starttid",
        "STOP_TIME": "Stopptid",
        "ATTRIBUTE": "Attributt",
    },
    "type": {
        "STRING": "Tekst",
        "INTEGER": "Heltall",
        "FLOAT": "Desimaltall",
        "DATETIME": "Dato/tid",
        "BOOLEAN": "Boolsk",
    },
    "personal": {
        "NOT_PERSONAL_DATA": "Ikke personopplysning",
        "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA": "Personopplysning, pseudonymisert",
        "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA": "Personopplysning, ikke pseudonymisert",
    },
    "temporality": {"FIXED": "Fast", "STATUS": "Status", "ACCUMULATED": "Akkumulert", "EVENT": "Hendelse"},
    "run": {
        "success": "Vellykket",
        "error": "Feilet",
        "fail": "Feilet",
        "runtime error": "Feilet",
        "skipped": "Hoppet over",
        "pass": "OK",
        "warn": "Advarsel",
        "no-op": "Uendret",
    },
    "node": {"model": "modell", "seed": "kodeliste", "snapshot": "historikk", "source": "kilde", "exposure": "bruk"},
}


def coded(lists: CodeLists, field: str, value: Any) -> str:
    """A coded value as people read it: the code list's name for it, with the code (``Person (20)``); the value
    itself when no list names it."""
    text = str(value or "").strip()
    codes = lists.get(field)
    name = codes.label(text) if codes is not None and text else None
    return f"{name} ({text})" if name else text


def classification(lists: CodeLists, uri: Any) -> dict[str, str]:
    """A classification link as the page shows it: where a browser opens it, and ``KLASS 104: <its name>``."""
    text = str(uri or "").strip()
    klass = links.klass_id(text)
    if klass is None:
        return {"href": text, "text": "kodeverk" if text else ""}
    codes = lists.get(CLASSIFICATIONS)
    name = codes.label(str(klass)) if codes is not None else None
    return {"href": links.browser_url(text), "text": f"KLASS {klass}" + (f": {name}" if name else "")}
