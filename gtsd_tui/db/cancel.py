"""Cancelling a running apply from another thread; its own module so a caller can make one without
loading the runner (a rehearsal starts its copy before the runner is needed)."""

from __future__ import annotations

from typing import Any

import psycopg


class Canceller:
    """Cancel a running apply from another thread (Ctrl-C in the CLI, a key in the console)."""

    def __init__(self) -> None:
        self.requested = False
        self.cancelled = False  # cancel(): the running statement was cancelled on the server
        self.stopping = False  # stop(): the running migration finishes, no other starts
        self._conn: psycopg.Connection[Any] | None = None

    def attach(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def stop(self) -> None:
        """Stop at the next migration boundary: the running migration goes on to its commit, the runner
        raises ``Cancelled`` before the next one (a fleet rollout halted by its policy)."""
        self.stopping = True
        self.requested = True

    def cancel(self) -> None:
        self.requested = True
        self.cancelled = True
        conn = self._conn
        if conn is not None and not conn.closed:
            try:
                conn.cancel_safe(timeout=5)
            except (psycopg.Error, AttributeError):
                pass
