"""Is an edited migration the same SQL? Statements compared as PostgreSQL's parser reads them.

Each statement is parsed with pglast and printed back in canonical form (keywords, spacing,
comments and breakpoint placement gone; identifiers, literals and every clause kept), so a
whitespace or comment edit compares equal and a changed literal does not. A ``DO $$ ... $$`` body
is a string to the parser: an edit inside it counts as substantive.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from gtsd_tui.core.migrations.hashing import split_chunks
from gtsd_tui.core.sql.pglast_load import ensure_pglast

COSMETIC, SUBSTANTIVE = "cosmetic", "substantive"


def normalised(text: str) -> list[str]:
    """The file's statements in canonical form, in order (a chunk the parser refuses: its stripped text)."""
    ensure_pglast()
    import pglast
    from pglast.stream import RawStream

    out: list[str] = []
    for chunk in split_chunks(text):
        if chunk.is_blank:
            continue
        try:
            stmts = pglast.parse_sql(chunk.text)
        except pglast.parser.ParseError:
            out.append(" ".join(chunk.text.split()))
            continue
        out += [RawStream()(s.stmt) for s in stmts if s.stmt is not None]
    return out


@dataclass(frozen=True)
class Equivalence:
    kind: str  # cosmetic | substantive
    diff: list[str]  # unified diff of the canonical statements ('-' applied, '+' now); empty when cosmetic

    @property
    def cosmetic(self) -> bool:
        return self.kind == COSMETIC


def classify(applied: str, current: str) -> Equivalence:
    old, new = normalised(applied), normalised(current)
    if old == new:
        return Equivalence(COSMETIC, [])
    lines = difflib.unified_diff(old, new, "applied", "current", n=1, lineterm="")
    return Equivalence(SUBSTANTIVE, [ln for ln in lines if not ln.startswith(("---", "+++", "@@"))])
