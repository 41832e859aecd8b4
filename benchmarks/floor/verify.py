"""The floor's outputs against dbt's: the same rows (EXCEPT ALL both ways), the same pseudonyms as Python's hmac,
and the same suppression as the project's compiled SQL on random tables."""

from __future__ import annotations

import hmac
import random
import re
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import Any

from floor.common import PUBLISHED, SOURCES, CheckFailed, Settings
from floor.suppression import suppress

Execute = Callable[[str], list[tuple[Any, ...]]]


def expected_pseudonym(key: str, value: str) -> str:
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), sha256).hexdigest()


def comparisons(
    settings: Settings, floor: Callable[[str], str], built: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """(label, floor's query, dbt's query) pairs that must hold the same rows. Histories without the columns that
    hold the run's clock (gyldig_fra, oppdatert_tidspunkt and historikk_id, its hash): two runs, two clocks."""
    pairs = []
    for history, _, columns in SOURCES.values():
        names = ", ".join([name for name, _ in columns] + ["gyldig_til", "er_slettet"])
        pairs.append(
            (
                history,
                f"select {names} from {floor('historikk')}.{history}",
                f"select {names} from {built('historikk')}.{history}",
            )
        )
    for kind in PUBLISHED:
        schema, name = settings.relation(kind)
        pairs.append((name, f"select * from {floor(schema)}.{name}", f"select * from {built(schema)}.{name}"))
    return pairs


def verify(
    execute: Execute, settings: Settings, floor: Callable[[str], str], built: Callable[[str], str]
) -> dict[str, int]:
    """Rows per output; raises CheckFailed when an output differs, or a pseudonym is not the key's HMAC."""
    counts = {}
    for label, mine, theirs in comparisons(settings, floor, built):
        only_floor = execute(f"select count(*) from ({mine} except all {theirs}) as d")[0][0]
        only_dbt = execute(f"select count(*) from ({theirs} except all {mine}) as d")[0][0]
        rows = execute(f"select count(*) from ({mine}) as d")[0][0]
        if only_floor or only_dbt or not rows:
            raise CheckFailed(f"{label}: {only_floor} rows only in the floor, {only_dbt} only in dbt's, {rows} rows")
        counts[label] = rows
    schema, name = settings.relation("person")
    sample = execute(
        f"select h.fodselsnummer, p.person_pseudonym from {floor(schema)}.{name} as p "
        f"inner join {floor('historikk')}.hist_aareg__arbeidsforhold as h using (arbeidsforhold_id) "
        "order by p.arbeidsforhold_id, p.kvartal limit 50"
    )
    for fnr, pseudonym in sample:
        if pseudonym != expected_pseudonym(settings.key, fnr):
            raise CheckFailed(f"pseudonym of {fnr[:4]}...: {pseudonym} is not HMAC-SHA-256 with the key")
    return counts


def suppression_agrees(compiled: Path, settings: Settings, trials: int = 200) -> int:
    """The example's data has no small cells at benchmark sizes, so the published tables alone don't prove the two
    suppressions equal: run dbt's compiled SQL of the open table (DuckDB) and the floor's Python on random
    statistics (small counts, empty dimensions, ties); raises on the first difference. Returns the trials run."""
    import duckdb

    sql = compiled.read_text(encoding="utf-8")
    relation = re.search(r"select \* from (\"[^\"]+\"\.\"[^\"]+\"\.\"sykefravaersprosent[a-z0-9_]*\")", sql)
    if relation is None:
        raise CheckFailed(f"{compiled}: the statistic it reads is not found")
    sql = sql.replace(relation.group(1), "celler")
    counts = [0, 1, 2, 3, 4, 5, 6, 8, 10, 20, 50]
    for trial in range(trials):
        chance = random.Random(trial)
        cells = [
            (quarter, industry, county, chance.choice(counts))
            for quarter in ["2024-Q1", "2024-Q2"][: chance.randint(1, 2)]
            for industry in chance.sample([*"ABCDEFGQ", None], chance.randint(1, 5))
            for county in chance.sample(["03", "11", "46", "50", None], chance.randint(1, 5))
            if chance.random() < 0.8
        ]
        if not cells:
            continue
        with duckdb.connect() as connection:
            connection.execute(
                "create table celler (kvartal varchar, naering_hovedomraade varchar, fylkesnummer varchar, "
                "antall_personer bigint, avtalte_dagsverk decimal(28, 6), tapte_dagsverk decimal(28, 6), "
                "sykefravaersprosent decimal(28, 6))"
            )
            connection.executemany("insert into celler values (?, ?, ?, ?, 1, 1, 1)", cells)
            theirs = {
                (row[0], row[1], row[2]): row[3]
                for row in connection.execute(
                    f"select kvartal, naering_hovedomraade, fylkesnummer, prikket from ({sql}) as prikket"
                ).fetchall()
            }
        mine = suppress(
            [((k, n, f), c) for k, n, f, c in cells], margins=[(0, 1), (0, 2)], threshold=settings.threshold
        )
        if theirs != mine:
            differing = {cell: (theirs.get(cell), mine.get(cell)) for cell in mine if theirs.get(cell) != mine[cell]}
            raise CheckFailed(f"suppression differs from dbt's on random table {trial}: {differing}")
    return trials
