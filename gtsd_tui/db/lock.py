"""The migration lock: a session advisory lock keyed on the tracking table, polled with backoff.

Never ``pg_advisory_lock`` (blocking): a session blocked on it holds a snapshot that makes
``CREATE INDEX CONCURRENTLY`` in the lock holder wait for it forever.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from gtsd_tui.errors import LockTimeout


def lock_key(schema: str, table: str) -> int:
    """A signed 64-bit key from the tracking table's name: two projects in one database never collide."""
    digest = hashlib.sha256(f"gtsd-tui:{schema}.{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True)
class Holder:
    pid: int
    application_name: str
    client_addr: str | None
    since: str | None

    def describe(self) -> str:
        addr = self.client_addr or "local socket"
        return f"pid {self.pid} ({self.application_name or 'no application_name'}, {addr}, since {self.since})"


def holders(conn: psycopg.Connection[Any], key: int) -> list[Holder]:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    rows = conn.execute(
        "SELECT a.pid, a.application_name, a.client_addr::text, "
        "to_char(coalesce(a.xact_start, a.backend_start), 'YYYY-MM-DD HH24:MI:SS TZ') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())",
        (unsigned >> 32, unsigned & 0xFFFFFFFF),
    ).fetchall()
    return [Holder(int(r[0]), r[1] or "", r[2], r[3]) for r in rows]


def acquire(
    conn: psycopg.Connection[Any],
    key: int,
    *,
    timeout: float,
    on_wait: Callable[[list[Holder], float], None] | None = None,
    xact: bool = False,
    what: str = "migration lock",
    stop: Callable[[], BaseException | None] | None = None,
) -> None:
    """Take the lock, polling with backoff up to ``timeout`` seconds; LockTimeout (exit 4) after.

    ``stop``, asked between polls (every 50 ms at most): an exception to raise instead of waiting on,
    so a cancel from another thread (the console's key, a halted fleet rollout) ends the wait too."""
    fn = "pg_try_advisory_xact_lock" if xact else "pg_try_advisory_lock"
    deadline = time.monotonic() + timeout
    delay = 0.05
    reported = 0.0
    while True:
        got = conn.execute(f"SELECT {fn}(%s)", (key,)).fetchone()
        if got and got[0]:
            return
        now = time.monotonic()
        who = holders(conn, key)
        if now >= deadline:
            held = "; ".join(h.describe() for h in who) or "a session that has since gone"
            raise LockTimeout(f"{what} not acquired in {timeout:g}s: held by {held}")
        if on_wait and now - reported >= 2.0:
            on_wait(who, deadline - now)
            reported = now
        _pause(min(delay, max(0.0, deadline - now)), stop)
        delay = min(delay * 1.6, 1.0)


def _pause(seconds: float, stop: Callable[[], BaseException | None] | None) -> None:
    end = time.monotonic() + seconds
    while True:
        if stop is not None and (exc := stop()) is not None:
            raise exc
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def release(conn: psycopg.Connection[Any], key: int) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def release_quietly(conn: psycopg.Connection[Any], key: int) -> None:
    """Release; a connection broken meanwhile took its session lock with it (nothing to say)."""
    try:
        release(conn, key)
    except psycopg.Error:
        pass
