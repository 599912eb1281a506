"""Cancelling a running apply from another thread; its own module so a caller can make one without
loading the runner (a rehearsal starts its copy before the runner is needed)."""

from __future__ import annotations

from typing import Any

import psycopg


class Canceller:
    """Cancel a running apply from another thread (Ctrl-C in the CLI, a key in the console)."""

    def __init__(self) -> None:
        self.requested = False
        self._conn: psycopg.Connection[Any] | None = None

    def attach(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def cancel(self) -> None:
        self.requested = True
        conn = self._conn
        if conn is not None and not conn.closed:
            try:
                conn.cancel_safe(timeout=5)
            except (psycopg.Error, AttributeError):
                pass
