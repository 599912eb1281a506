"""The session list (pg_stat_activity, pg_activity's columns) and cancelling or terminating a backend."""

from __future__ import annotations

from typing import Any

import psycopg

from gtsd_tui.core.server.activity import Session

SESSIONS_SQL = """
SELECT pid, coalesce(datname, ''), coalesce(application_name, ''), coalesce(state, 'unknown'),
       coalesce(wait_event_type || ':' || wait_event, ''),
       extract(epoch FROM clock_timestamp() - CASE WHEN state = 'active' THEN query_start
                                                   ELSE state_change END)::float8,
       left(coalesce(query, ''), 400),
       CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) ELSE '{}'::int[] END
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
 ORDER BY pid
 LIMIT 500
"""


def read_sessions(conn: psycopg.Connection[Any]) -> list[Session]:
    rows = conn.execute(SESSIONS_SQL).fetchall()
    return [Session(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], tuple(int(p) for p in r[7] or ())) for r in rows]


def signal_backend(conn: psycopg.Connection[Any], pid: int, *, terminate: bool) -> bool:
    """pg_cancel_backend (the running query) or pg_terminate_backend (the session); True when signalled."""
    fn = "pg_terminate_backend" if terminate else "pg_cancel_backend"
    row = conn.execute(f"SELECT {fn}(%s)", (pid,)).fetchone()
    return bool(row and row[0])
