"""The run's session settings (db/runner.py ``_session_settings``) against a real PostgreSQL: both timeouts
set in one round trip (libpq's own trace of what the client sent), with the values asked for."""

from __future__ import annotations

import tempfile

import pytest
from psycopg import pq

from gtsd_tui.db.runner import RunOptions, _session_settings, open_session

pytestmark = pytest.mark.pg


def test_both_timeouts_are_set_in_one_round_trip(pg_url: str) -> None:
    conn = open_session(pg_url)
    try:
        with tempfile.TemporaryFile() as trace:
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            opts = RunOptions("drizzle", "__drizzle_migrations", lock_timeout=3, statement_timeout=7.5)
            _session_settings(conn, opts)
            conn.pgconn.untrace()
            trace.seek(0)
            sent = [line.split("\t") for line in trace.read().decode().splitlines() if line.startswith("F")]
        queries = [fields[2] for fields in sent if fields[2] in ("Query", "Parse")]
        assert queries == ["Query"], sent  # one simple query, not one per setting
        assert conn.execute("SHOW lock_timeout").fetchone() == ("3s",)
        assert conn.execute("SHOW statement_timeout").fetchone() == ("7500ms",)
    finally:
        conn.close()
