"""Small-cell suppression of the statistic's cells, written again in Python from the rule the project documents
(macros/privacy/suppress_small_cells.sql), so that the floor does not run the project's SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def suppress(
    cells: Sequence[tuple[tuple[Any, ...], int | None]],
    margins: Sequence[Sequence[int]],
    threshold: int,
    passes: int = 12,
) -> dict[tuple[Any, ...], str | None]:
    """Small-cell suppression: 'PRIMAER' below the threshold; 'SEKUNDAER' for complements, so that no group of any
    margin (cells sharing those dimensions) has exactly one suppressed cell; None when published.

    The rule the project documents (macros/privacy/suppress_small_cells.sql), written again: per pass, one margin
    in turn; in every group with exactly one suppressed cell the unsuppressed cell with the smallest count (cells
    alone in a group of some margin last; ties by the dimensions) is suppressed. After the passes, a block (the
    dimensions every margin shares) in which a group still has exactly one suppressed cell of two or more is
    suppressed whole."""
    counts = dict(cells)
    code = {cell: 1 if count is None or count < threshold else 0 for cell, count in cells}

    def groups(margin: Sequence[int]) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
        found: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        for cell in counts:
            found.setdefault(tuple(cell[i] for i in margin), []).append(cell)
        return found

    grouped = [groups(margin) for margin in margins]
    alone = {cell: 0 for cell in counts}
    for by_margin in grouped:
        for members in by_margin.values():
            if len(members) == 1:
                alone[members[0]] = 1

    def order(cell: tuple[Any, ...]) -> tuple[Any, ...]:
        count = counts[cell]
        dims = tuple((value is None, value if value is not None else "") for value in cell)
        return (alone[cell], count is None, count if count is not None else 0, dims)

    for number in range(passes):
        by_margin = grouped[number % len(margins)]
        chosen = []
        for members in by_margin.values():
            suppressed = [cell for cell in members if code[cell]]
            candidates = [cell for cell in members if not code[cell]]
            if len(suppressed) == 1 and candidates:
                chosen.append(min(candidates, key=order))
        for cell in chosen:
            code[cell] = 2
    shared = [i for i in range(len(next(iter(counts), ()))) if all(i in margin for margin in margins)]
    unsafe = set()
    for by_margin in grouped:
        for members in by_margin.values():
            if len(members) >= 2 and sum(1 for cell in members if code[cell]) == 1:
                unsafe.update(tuple(cell[i] for i in shared) for cell in members)
    result: dict[tuple[Any, ...], str | None] = {}
    for cell in counts:
        if code[cell] == 1:
            result[cell] = "PRIMAER"
        elif code[cell] == 2 or tuple(cell[i] for i in shared) in unsafe:
            result[cell] = "SEKUNDAER"
        else:
            result[cell] = None
    return result
