"""The console's own sessions to the target stepping aside while a rehearsal copies it.

``CREATE DATABASE ... TEMPLATE target`` needs the target to itself: the console's pool and statistics
connection would send Review to the schema-only copy ("N other session(s) are connected"). While a
rehearsal runs, :meth:`SessionGate.aside` waits for the reads and polls in flight to finish, lets the
caller close their connections, and holds back every read or poll that starts meanwhile until the
rehearsal is over (they wait in their worker threads; nothing reconnects to the target in between).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from gtsd_tui.errors import DatabaseError

IN_FLIGHT_WAIT = 10.0  # longer than a read's worst case (the pool's 5 s timeout after a 3 s connect)


class SessionGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._users = 0  # reads and polls over the console's own connections, in flight
        self._aside = 0  # rehearsals running (the console's sessions stay away meanwhile)
        self._closed = False

    @contextmanager
    def use(self) -> Iterator[None]:
        """Around a read or poll over the console's own connections: waits while a rehearsal runs.
        DatabaseError once the console is closing (a read held back then never connects)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._aside or self._closed)
            if self._closed:
                raise DatabaseError("the console is closing")
            self._users += 1
        try:
            yield
        finally:
            with self._cond:
                self._users -= 1
                self._cond.notify_all()

    @contextmanager
    def aside(self, wait: float = IN_FLIGHT_WAIT) -> Iterator[bool]:
        """Hold back new reads and polls; yields once those in flight are over (True), or after ``wait``
        seconds with some still running (False: the caller closes what it can; a read still running
        has its pool connection closed when it gives it back)."""
        with self._cond:
            self._aside += 1
            idle = self._cond.wait_for(lambda: not self._users, wait)
        try:
            yield idle
        finally:
            with self._cond:
                self._aside -= 1
                self._cond.notify_all()

    def close(self) -> None:
        """The console is closing: the reads held back give up (they never connect)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
