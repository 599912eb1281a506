"""Detect a transaction-pooling connection pooler (PgBouncer ``pool_mode = transaction``).

There, a session advisory lock does not hold: the next transaction may run on another server
connection. The test: note our backend pid, pin a second client inside a transaction (it gets
the pooler's idle server connection, ours), and ask again. A direct connection always answers
with the same pid; a transaction pooler hands us another server connection.
"""

from __future__ import annotations

from gtsd_tui.db.connect import connect


def transaction_pooling(url: str) -> bool:
    with connect(url, prepare_threshold=None) as first:
        before = first.execute("SELECT pg_backend_pid()").fetchone()
        with connect(url, autocommit=False, prepare_threshold=None) as second:
            second.execute("SELECT pg_backend_pid()").fetchone()
            after = first.execute("SELECT pg_backend_pid()").fetchone()
            second.rollback()
    return before != after
