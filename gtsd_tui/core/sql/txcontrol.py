"""Whether a migration's own SQL ends the transaction it runs in (``COMMIT``, ``END``, ``ROLLBACK``, ...).

drizzle-orm's migrator sends each chunk as its own query inside one transaction; a chunk's own ``COMMIT``
(dittofeed's ``0002`` is ``BEGIN; ... COMMIT;``) ends that transaction, and every later chunk then runs
and commits on its own. Sent together in one query, the statements after that ``COMMIT`` would share the
query's implicit transaction instead, and a later error would roll them back together: such a migration
(and, under ``--tx all``, every one after it) is not batched (``db/runner.py``).

Told without a parser: a cheap look for the words first (drizzle-kit never writes them at a statement's
start), then, in a plain text (``core/sql/plain.py``), each statement's first words with strings,
quoted identifiers, comments and dollar-quoted bodies blanked out. A text that is not plain and holds one
of the words counts as ending a transaction: a false "yes" costs only the round trips batching saves.
"""

from __future__ import annotations

import re

from gtsd_tui.core.sql.plain import bare, bare_in_place

_WORDS = re.compile(r"\b(?:commit|end|rollback|abort|prepare)\b", re.IGNORECASE)
# At a statement's start: COMMIT / END / ROLLBACK / ABORT [WORK | TRANSACTION] not followed by AND CHAIN
# (which opens the next transaction at once) nor, for ROLLBACK, by TO (a savepoint); PREPARE TRANSACTION.
_ENDS = re.compile(
    r"(?:commit|end|rollback|abort)(?:\s+(?:work|transaction))?(?!\s*\w)"
    r"|(?:commit|end|rollback|abort)(?:\s+(?:work|transaction))?\s+and\s+no\s+chain\b"
    r"|prepare\s+transaction\b",
    re.IGNORECASE,
)


def ends_transaction(text: str) -> bool:
    """True when a statement of ``text`` (one chunk, lexically complete) ends the transaction it runs in."""
    if _WORDS.search(text) is None:
        return False
    blanked = bare(text)
    if blanked is None:
        return True  # not told without the parser: taken as ending one (it only costs round trips)
    return any(_ENDS.match(stmt.strip()) for stmt in blanked.split(";"))


# The statements that end a transaction without committing it: what ran in it is undone (``ROLLBACK``,
# ``ABORT``) or set aside, invisible to others until ``COMMIT PREPARED`` (``PREPARE TRANSACTION``).
UNDOING = ("rollback", "abort", "prepare")


def undoing_statement(text: str) -> int | None:
    """The offset in ``text`` (one chunk) of its first statement that ends the transaction without
    committing it (:data:`UNDOING`); None when it has none. Asked only of a chunk
    :func:`ends_transaction` said yes to, where batching is off already: a text that is not plain is
    read by PostgreSQL's scanner here."""
    blanked = bare_in_place(text)
    if blanked is None:
        return _undoing_scanned(text)
    at = 0
    for stmt in blanked.split(";"):
        lead = len(stmt) - len(stmt.lstrip())
        m = _ENDS.match(stmt[lead:])
        if m is not None and m.group(0).split()[0].lower() in UNDOING:
            return at + lead
        at += len(stmt) + 1
    return None


def _undoing_scanned(text: str) -> int | None:
    """:func:`undoing_statement` by PostgreSQL's scanner (comments skipped, ``;`` ends a statement)."""
    from gtsd_tui.core.sql.pglast_load import ensure_pglast

    ensure_pglast()
    from pglast.parser import ParseError, scan

    try:
        tokens = [(t.name, t.start) for t in scan(text) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    except ParseError:
        return None
    starts = [i for i, (name, _) in enumerate(tokens) if i == 0 or tokens[i - 1][0] == "ASCII_59"]
    for i in starts:
        name = tokens[i][0]
        nxt = [n for n, _ in tokens[i + 1 : i + 4]]
        nxt = nxt[1:] if nxt[:1] in (["WORK"], ["TRANSACTION"]) and name != "PREPARE" else nxt
        if (name in ("ROLLBACK", "ABORT_P") and nxt[:1] != ["TO"] and nxt[:2] != ["AND", "CHAIN"]) or (
            name == "PREPARE" and nxt[:1] == ["TRANSACTION"]
        ):
            return int(tokens[i][1])  # pglast gives character offsets
    return None
