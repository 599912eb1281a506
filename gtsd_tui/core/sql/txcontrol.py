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

from gtsd_tui.core.sql.plain import bare

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
