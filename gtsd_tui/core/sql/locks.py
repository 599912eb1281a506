"""PostgreSQL's table-level lock modes: strength order and the conflict table (docs, "Table-Level Locks")."""

from __future__ import annotations

# pg_locks.mode names, weakest first
MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)

_CONFLICTS: dict[str, frozenset[str]] = {
    "AccessShareLock": frozenset({"AccessExclusiveLock"}),
    "RowShareLock": frozenset({"ExclusiveLock", "AccessExclusiveLock"}),
    "RowExclusiveLock": frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}),
    "ShareUpdateExclusiveLock": frozenset(
        {"ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}
    ),
    "ShareLock": frozenset(
        {
            "RowExclusiveLock",
            "ShareUpdateExclusiveLock",
            "ShareRowExclusiveLock",
            "ExclusiveLock",
            "AccessExclusiveLock",
        }
    ),
    "ShareRowExclusiveLock": frozenset(MODES[2:]),
    "ExclusiveLock": frozenset(MODES[1:]),
    "AccessExclusiveLock": frozenset(MODES),
}

# What a non-transactional statement takes (documented; it cannot be observed from inside a transaction)
DOCUMENTED = {
    "CREATE INDEX CONCURRENTLY": "ShareUpdateExclusiveLock",
    "DROP INDEX CONCURRENTLY": "ShareUpdateExclusiveLock",
    "REINDEX CONCURRENTLY": "ShareUpdateExclusiveLock",
    "DETACH PARTITION ... CONCURRENTLY": "ShareUpdateExclusiveLock",
    "VACUUM": "ShareUpdateExclusiveLock",
}


def conflicts(a: str, b: str) -> bool:
    """True when a session holding ``a`` blocks one asking for ``b`` (the table is symmetric)."""
    return b in _CONFLICTS.get(a, frozenset())


def strength(mode: str) -> int:
    """0 (ACCESS SHARE) .. 7 (ACCESS EXCLUSIVE); -1 for a mode that is not a table lock."""
    return MODES.index(mode) if mode in MODES else -1


def sql_name(mode: str) -> str:
    """``AccessExclusiveLock`` -> ``ACCESS EXCLUSIVE``."""
    words: list[str] = []
    for ch in mode.removesuffix("Lock"):
        if ch.isupper() and words:
            words.append(" ")
        words.append(ch.upper())
    return "".join(words)
