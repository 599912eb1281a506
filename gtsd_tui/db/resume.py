"""Careful apply: retry a migration that hit ``lock_timeout``, and resume an interrupted
``CREATE INDEX CONCURRENTLY`` migration (drop the INVALID index it left, skip the ones it built)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg import sql

from gtsd_tui.core.migrations.hashing import Chunk
from gtsd_tui.core.sql.stmt_split import concurrent_index, relations
from gtsd_tui.core.sql.txcontrol import ends_transaction
from gtsd_tui.db.failure import MigrationFailed
from gtsd_tui.db.probe import Session, index_state, sessions_on
from gtsd_tui.errors import LockTimeout

if TYPE_CHECKING:
    from gtsd_tui.core.migrations.plan import Step
    from gtsd_tui.db.runner import Events, RunOptions

LOCK_NOT_AVAILABLE = "55P03"
T = TypeVar("T")


class LockNotAcquired(LockTimeout):
    """A migration's statement could not get its table lock within lock_timeout, on every attempt (exit 4)."""

    def __init__(self, message: str, blockers: list[Session]) -> None:
        super().__init__(message)
        self.blockers = blockers


def blockers_of(conn: psycopg.Connection[Any], text: str) -> tuple[list[str], list[Session]]:
    """The tables a statement names and the other sessions holding a lock on one of them (read-only)."""
    rels = relations(text)
    found: dict[int, Session] = {}
    for rel in rels:
        try:
            for s in sessions_on(conn, rel):
                if s.granted and s.pid not in found:
                    found[s.pid] = s
        except psycopg.Error:
            continue
    return rels, list(found.values())


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): exponential from 0.5 s, capped at 30 s, with ±50% jitter."""
    return min(30.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)


def with_retries(
    conn: psycopg.Connection[Any], step: Step, opts: RunOptions, events: Events, attempt_once: Callable[[], T]
) -> T:
    """Run one migration; on lock_not_available (already rolled back) wait and try again, up to
    ``opts.retries`` times, then give up with LockNotAcquired naming who holds the table."""
    attempt = 0
    while True:
        try:
            return attempt_once()
        except MigrationFailed as exc:
            if exc.error.sqlstate != LOCK_NOT_AVAILABLE or _committed_part(step, exc.chunk):
                raise
            rels, who = blockers_of(conn, exc.chunk.text)
            behind = "; ".join(s.describe() for s in who) or "a session that has since gone"
            tag, tables = step.migration.tag, ", ".join(rels) or "its tables"
            if attempt >= opts.retries:
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                raise LockNotAcquired(
                    f"{exc.path}: lock on {tables} not acquired within lock_timeout {opts.lock_timeout:g}s "
                    f"({tries}); nothing of {tag} was applied; waits behind {behind}",
                    who,
                ) from None
            attempt += 1
            delay = backoff(attempt)
            events.note(
                f"{tag}: lock on {tables} not acquired within {opts.lock_timeout:g}s (behind {behind}); "
                f"rolled back, retry {attempt}/{opts.retries} in {delay:.1f}s"
            )
            time.sleep(delay)


def _committed_part(step: Step, failed: Chunk) -> bool:
    """The migration's own ``COMMIT`` (or another end of its transaction) may have run before the chunk
    that failed: what came before it is committed, so a retry would run it a second time."""
    return any(ends_transaction(c.text) for c in step.chunks[: failed.index + 1])


def resume_concurrent_index(conn: psycopg.Connection[Any], chunk: Chunk) -> bool:
    """False when this ``CREATE INDEX CONCURRENTLY`` already built a valid index (skip it); an INVALID
    one left by a failed run is dropped first (True: run it)."""
    target = concurrent_index(chunk.text) if not chunk.is_blank else None
    if target is None:
        return True
    schema, name = target
    state = index_state(conn, schema, name)
    if state is None:
        return True
    if state:
        return False
    ident = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name)) if schema else sql.Identifier(name)
    conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(ident))
    return True
