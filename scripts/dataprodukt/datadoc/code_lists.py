"""The code lists Datadoc's coded fields take their values from, shipped with the project and checked offline.

Each list is a JSON file in the project's ``codelists/`` folder: the Datadoc field it is for, its KLASS id,
version and source, and the codes (code, name, parent, level). ``dataprodukt codelists refresh`` rewrites them from
KLASS's API where the network allows (``code_list_refresh``). Two coded fields take ssb-datadoc-model's own
enums (temporality_type, variable_role: ``fields.EnumProblem``). ``klass-klassifikasjoner.json`` lists the KLASS
classifications a column's ``classification_uri`` may point at (with every seed whose meta names its ``klass_id``).
A field whose list is not in the project is not checked. A value that is not a code gives the closest codes, by
spelling or by name.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc import fields as f

FOLDER = "codelists"
CLASSIFICATIONS_FILE = "klass-klassifikasjoner.json"
CLASSIFICATIONS = "classification"  # the pseudo-field of the list of KLASS classifications


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    parent: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class CodeList:
    """One code list: the field it checks, where it comes from, and its codes in order."""

    field: str
    codes: tuple[Code, ...]
    klass_id: int | None = None
    name: str | None = None
    version: str | None = None
    source: str = ""
    path: str = ""

    @property
    def by_code(self) -> dict[str, Code]:
        return {code.code: code for code in self.codes}

    @property
    def title(self) -> str:
        """How a message names the list: ``KLASS 702 (Enhetstyper, codelists/klass-702-enhetstyper.json)``."""
        if self.klass_id is None:
            return f"{self.name} ({self.path})" if self.path else str(self.name)
        details = ", ".join(part for part in (self.name, self.version, self.path) if part)
        return f"KLASS {self.klass_id} ({details})" if details else f"KLASS {self.klass_id}"

    def label(self, value: str | None) -> str | None:
        """The code's name, with its parent's first (``Arbeid og lønn / Arbeidsledighet``); None when unknown."""
        found = self.by_code.get(str(value)) if value is not None else None
        if found is None:
            return None
        parent = self.by_code.get(found.parent) if found.parent else None
        return f"{parent.name} / {found.name}" if parent else found.name

    def closest(self, value: str, limit: int = 3) -> list[Code]:
        """The codes nearest ``value``: the same code written with another case or a letter O for a zero first,
        then a code whose name it is (``Person`` finds ``20``), then by spelling, ties in the list's order."""
        text = str(value).strip()
        folded = text.casefold().replace("o", "0")
        found = [code for code in self.codes if code.code.casefold().replace("o", "0") == folded]
        names = [code for code in self.codes if code.name and code.name.casefold() == text.casefold()]
        names += [
            next(code for code in self.codes if code.name.casefold() == name)
            for name in difflib.get_close_matches(text.casefold(), [c.name.casefold() for c in self.codes], limit, 0.6)
        ]
        scored = [
            (difflib.SequenceMatcher(None, text, code.code).ratio(), index) for index, code in enumerate(self.codes)
        ]
        spelled = [
            self.codes[index] for score, index in sorted(scored, key=lambda item: (-item[0], item[1])) if score >= 0.5
        ]
        return list(dict.fromkeys(found + names + spelled))[:limit]


@dataclass(frozen=True)
class CodeProblem:
    """A value that is not a code of its list: where it is, what it is, and what was probably meant."""

    model: str
    column: str | None
    field: str
    value: str
    codes: CodeList
    closest: tuple[Code, ...] = ()

    @property
    def rule(self) -> str:
        hint = (
            "closest: " + ", ".join(f"{code.code} ({code.name})" if code.name else code.code for code in self.closest)
            if self.closest
            else f"see the {len(self.codes.codes)} codes in {self.codes.path or self.codes.title}"
        )
        return f"{self.value!r} is not a code in {self.codes.title}; {hint}"


@dataclass
class CodeLists:
    """The lists of one project, by the field they check."""

    lists: dict[str, CodeList] = field(default_factory=dict)

    def get(self, name: str) -> CodeList | None:
        return self.lists.get(name)

    def check(
        self, model: str, column: str | None, name: str, value: Any, field: str | None = None
    ) -> CodeProblem | None:
        """A problem when ``value`` is set and the list ``name`` lacks it (reported as ``field``, default
        ``name``); None otherwise."""
        codes = self.lists.get(name)
        if codes is None or f.is_missing(value):
            return None
        text = str(value).strip()
        if text in codes.by_code:
            return None
        return CodeProblem(model, column, field or name, text, codes, tuple(codes.closest(text)))

    def with_classifications(self, extra: dict[int, str]) -> CodeLists:
        """These lists, the KLASS classifications extended by ``extra`` (id -> name, e.g. from seeds)."""
        known = self.lists.get(CLASSIFICATIONS)
        codes = list(known.codes) if known else []
        have = {code.code for code in codes}
        codes += [Code(str(klass), name) for klass, name in sorted(extra.items()) if str(klass) not in have]
        name = known.name if known else "KLASS-klassifikasjoner"
        path = known.path if known else "seeds with meta klass_id"
        merged = CodeList(CLASSIFICATIONS, tuple(codes), None, name, None, known.source if known else "", path)
        return CodeLists({**self.lists, CLASSIFICATIONS: merged}) if codes else self


def read_list(path: Path, relative: str = "") -> CodeList:
    """One code list file; a UserError naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        codes = tuple(
            Code(str(item["code"]), str(item.get("name") or ""), item.get("parent"), item.get("level"))
            for item in data["codes"]
        )
        klass = data.get("klass_id")
        return CodeList(
            str(data["field"]),
            codes,
            int(klass) if klass is not None else None,
            data.get("name"),
            data.get("version"),
            str(data.get("source") or ""),
            relative or path.name,
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(
            f"{path} is not a code list ({error}): write it again with `dataprodukt codelists refresh`, or restore "
            "it from the template"
        ) from error


def load(root: Path) -> CodeLists:
    """The project's code lists (``<root>/codelists/*.json``), by the field they check."""
    found: dict[str, CodeList] = {}
    folder = root / FOLDER
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        codes = read_list(path, f"{FOLDER}/{path.name}")
        found[codes.field] = codes
    return CodeLists(found)


def seed_classifications(manifest: dict[str, Any]) -> dict[int, str]:
    """KLASS classifications the project keeps an extract of as a seed (``meta.klass_id`` on the seed)."""
    found = {}
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") != "seed":
            continue
        meta = f.merged_meta(node)
        if meta.get("klass_id") is not None:
            found[int(meta["klass_id"])] = str(meta.get("klass_name") or node.get("description") or node["name"])
    return found


def list_text(codes: CodeList, fields: dict[str, Any]) -> str:
    """A code list file's text: the header, then one code per line (readable diffs when a list is refreshed)."""
    header = {
        "field": codes.field,
        "klass_id": codes.klass_id,
        "name": codes.name,
        "version": codes.version,
        **fields,
        "source": codes.source,
    }
    lines = [
        json.dumps({"code": c.code, "name": c.name, "parent": c.parent, "level": c.level}, ensure_ascii=False)
        for c in codes.codes
    ]
    head = json.dumps(header, ensure_ascii=False, indent=1)[:-2]
    return head + ',\n "codes": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
