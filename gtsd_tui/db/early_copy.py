"""A rehearsal's template copy asked for before this process has imported psycopg.

``gtsd-tui rehearse`` spends 0.2-0.3 s importing psycopg before it could ask the server for the copy,
and the copy is the step of a rehearsal whose cost varies most: on ext4 every file created looks past
the inodes freed in the last minutes, so after databases were dropped (a test suite, earlier
rehearsals) a ``CREATE DATABASE ... TEMPLATE`` takes 0.3-0.6 s instead of 0.05 s (README, "Rehearse").
Through the libpq that psycopg[binary] ships (the library psycopg itself loads, found without
importing it) the request leaves about 0.1 s after start, and the server copies while Python imports
the rest and makes the plan.

Only the template copy, and only when it is certainly allowed; any doubt (no bundled libpq, the
server refuses us, someone else is connected to the target, the role may not create databases, the
copy fails) ends with nothing made, and the rehearsal makes its copy the ordinary way, which tells
what went wrong. Nothing here raises or prints: messages from libpq may hold a password.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from gtsd_tui.db.clone_sql import (
    ADMIN_DB,
    STRATEGIES,
    may_template_query,
    settled,
    strategy_query,
    template_copy_name,
)
from gtsd_tui.db.libpq_lite import Libpq as _Libpq
from gtsd_tui.db.libpq_lite import bundled_libpq


@dataclass
class EarlyCopy:
    """A template copy of ``target`` being made in a thread: :meth:`made` waits for it."""

    url: str
    target: str
    name: str = field(default="")
    taken: bool = False  # taken over by the rehearsal (which drops it), or already dropped
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _made: bool = field(default=False, repr=False)

    def done(self) -> bool:
        """The copy is made, or known not to be (no wait)."""
        return self._done.is_set()

    def made(self) -> bool:
        """True once the copy exists; False when it was not made (nothing was created then)."""
        self._done.wait()
        return self._made

    def _run(self, libpq_path: str) -> None:
        try:
            self._made = _copy(_Libpq(libpq_path), self.url, self.target, self.name)
        except Exception:  # any surprise: no copy, the ordinary path makes one and tells what failed
            self._made = False
        finally:
            self._done.set()


def _copy(pq: _Libpq, url: str, target: str, name: str) -> bool:
    conn = pq.connect(url, ADMIN_DB)
    if conn is None:
        return False
    try:
        lit = pq.quoted(conn, target, literal=True)
        src, dst = pq.quoted(conn, target, literal=False), pq.quoted(conn, name, literal=False)
        if not (lit and src and dst):
            return False

        def ask() -> tuple[bool, int, int] | None:
            row = pq.run(conn, may_template_query(lit))
            return (row[0] == "t", int(row[1] or 0), int(row[2] or 0)) if row and len(row) == 3 else None

        answer = settled(ask)
        if answer is None or not answer[0] or answer[1]:  # may not create databases, or someone is (still) there
            return False
        strategy = pq.run(conn, strategy_query(lit))
        if not strategy or strategy[0] not in STRATEGIES:
            return False
        return pq.run(conn, f"CREATE DATABASE {dst} TEMPLATE {src}{strategy[0]}") == []
    finally:
        pq.lib.PQfinish(conn)


def start(url: str, target: str) -> EarlyCopy | None:
    """Ask for a template copy of ``target`` (the database of ``url``, on a local server) in a thread;
    None when psycopg's libpq cannot be found here."""
    path = bundled_libpq()
    if path is None or not target:
        return None
    early = EarlyCopy(url, target, template_copy_name(target))
    threading.Thread(target=early._run, args=(path,), name="gtsd-early-copy", daemon=True).start()
    return early
