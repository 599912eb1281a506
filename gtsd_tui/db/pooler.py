"""Detect a transaction-pooling connection pooler (PgBouncer ``pool_mode = transaction``).

There, a session advisory lock does not hold: the next transaction may run on another server
connection. The probe: note our backend pid, pin two more clients inside transactions (a
pooler hands them its idle server connections, ours first), and ask again. A direct
connection always answers with the same pid; through a transaction pooler the answer changes
in at least one of a few rounds, even while other clients use the pool.
"""

from __future__ import annotations

from contextlib import ExitStack

from gtsd_tui.db.connect import connect

ROUNDS = 3


def transaction_pooling(url: str) -> bool:
    with ExitStack() as stack:
        first = stack.enter_context(connect(url, prepare_threshold=None))
        others = [stack.enter_context(connect(url, autocommit=False, prepare_threshold=None)) for _ in range(2)]
        for _ in range(ROUNDS):
            before = first.execute("SELECT pg_backend_pid()").fetchone()
            pinned = [conn.execute("SELECT pg_backend_pid()").fetchone() for conn in others]
            after = first.execute("SELECT pg_backend_pid()").fetchone()
            for conn in others:
                conn.rollback()
            if before != after or before in pinned:
                return True
    return False
