"""Live connection statistics: one statement per poll on a dedicated autocommit connection.

Counters, breakdowns, blocked sessions and longest transactions come from one snapshot of
``pg_stat_activity``; rates (transactions per second, cache hit ratio) from ``pg_stat_database``
deltas over the server's own clock. Optional queries that fail (privilege, timeout) are switched
off for the session with one notice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

from gtsd_tui.core.server.activity import Session
from gtsd_tui.db.connect import connect
from gtsd_tui.db.sessions import read_sessions, signal_backend

POLL_SQL = """
WITH c AS MATERIALIZED (
  SELECT pid, datname, application_name, state, wait_event_type, wait_event, xact_start, state_change,
         query_start, query
    FROM pg_stat_activity
   WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
), n AS (
  SELECT count(*) AS total,
         count(*) FILTER (WHERE state = 'active') AS active,
         count(*) FILTER (WHERE state = 'idle') AS idle,
         count(*) FILTER (WHERE state LIKE 'idle in transaction%%') AS idle_in_tx,
         count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting,
         extract(epoch FROM max(clock_timestamp() - xact_start))::float8 AS longest_tx_s,
         extract(epoch FROM max(clock_timestamp() - state_change)
                 FILTER (WHERE state LIKE 'idle in transaction%%'))::float8 AS longest_idle_tx_s
    FROM c
), d AS (
  SELECT sum(xact_commit + xact_rollback)::bigint AS xacts, sum(blks_hit)::bigint AS hit,
         sum(blks_read)::bigint AS rd FROM pg_stat_database
)
SELECT json_build_object(
  'total', n.total, 'active', n.active, 'idle', n.idle, 'idle_in_tx', n.idle_in_tx, 'waiting', n.waiting,
  'longest_tx_s', n.longest_tx_s, 'longest_idle_tx_s', n.longest_idle_tx_s,
  'max_connections', current_setting('max_connections')::int,
  'reserved', current_setting('superuser_reserved_connections')::int,
  'groups', (SELECT coalesce(json_agg(g), '[]') FROM (
      SELECT coalesce(datname, '') AS database, coalesce(application_name, '') AS application,
             coalesce(state, 'unknown') AS state, count(*) AS count
        FROM c GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3) g),
  -- only a session waiting on a lock can be blocked: pg_blocking_pids() is called for those alone
  'blocked', (SELECT coalesce(json_agg(b), '[]') FROM (
      SELECT w.pid, w.blocked_by, w.wait_event_type, w.wait_event,
             extract(epoch FROM clock_timestamp() - w.query_start)::float8 AS waiting_s,
             left(w.query, 200) AS query, l.mode, l.locktype, l.relation::regclass::text AS relation
        FROM (SELECT c.*, pg_blocking_pids(c.pid) AS blocked_by FROM c WHERE c.wait_event_type = 'Lock') w
        LEFT JOIN LATERAL (
             SELECT mode, locktype, relation FROM pg_locks WHERE pid = w.pid AND NOT granted LIMIT 1) l ON true
       WHERE cardinality(w.blocked_by) > 0) b),
  'xacts', d.xacts, 'blks_hit', d.hit, 'blks_read', d.rd,
  'epoch', extract(epoch FROM clock_timestamp())::float8,
  'can_see_all', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                 OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')
) FROM n, d
"""

INDEX_SQL = """
SELECT schemaname, relname, indexrelname, idx_scan, idx_tup_read, idx_tup_fetch,
       pg_relation_size(indexrelid) AS bytes
  FROM pg_stat_user_indexes ORDER BY idx_scan, bytes DESC LIMIT 200
"""


@dataclass
class Stats:
    total: int
    active: int
    idle: int
    idle_in_tx: int
    waiting: int
    max_connections: int
    reserved: int
    groups: list[dict[str, Any]]
    blocked: list[dict[str, Any]]
    longest_tx_s: float | None
    longest_idle_tx_s: float | None
    tps: float | None
    cache_hit_ratio: float | None
    can_see_all: bool
    notices: list[str] = field(default_factory=list)
    indexes: list[dict[str, Any]] | None = None
    pool: dict[str, int] | None = None
    sessions: list[Session] = field(default_factory=list)

    @property
    def usable(self) -> int:
        return max(0, self.max_connections - self.reserved)

    @property
    def usage_percent(self) -> float:
        return 100.0 * self.total / self.max_connections if self.max_connections else 0.0

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        sessions = out.pop("sessions")
        if sessions:
            out["sessions"] = [asdict(x) for x in sessions]
        out["usage_percent"] = round(self.usage_percent, 1)
        out["usable"] = self.usable
        return out


class StatsCollector:
    """Polls one server; keeps the previous sample for rates."""

    def __init__(self, url: str, *, statement_timeout_ms: int = 500) -> None:
        self.url = url
        self.statement_timeout_ms = statement_timeout_ms
        self._conn: psycopg.Connection[Any] | None = None
        self._prev: tuple[float, int, int, int] | None = None
        self.disabled: dict[str, str] = {}
        self._told: set[str] = set()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.url, prepare_threshold=0)
            self._conn.execute(f"SET statement_timeout = {int(self.statement_timeout_ms)}")
        return self._conn

    def signal(self, pid: int, *, terminate: bool) -> bool:
        return signal_backend(self._connection(), pid, terminate=terminate)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def poll(self, *, indexes: bool = False, sessions: bool = False) -> Stats:
        conn = self._connection()
        try:
            raw = conn.execute(POLL_SQL).fetchone()
        except psycopg.OperationalError:
            self.close()
            raise
        data = raw[0] if raw else {}
        if isinstance(data, str):
            data = json.loads(data)
        tps = ratio = None
        now = (float(data["epoch"]), int(data["xacts"] or 0), int(data["blks_hit"] or 0), int(data["blks_read"] or 0))
        if self._prev is not None and now[0] > self._prev[0]:
            tps = (now[1] - self._prev[1]) / (now[0] - self._prev[0])
            hits, reads = now[2] - self._prev[2], now[3] - self._prev[3]
            ratio = hits / (hits + reads) if hits + reads > 0 else None
        self._prev = now
        stats = Stats(
            int(data["total"]),
            int(data["active"]),
            int(data["idle"]),
            int(data["idle_in_tx"]),
            int(data["waiting"]),
            int(data["max_connections"]),
            int(data["reserved"]),
            list(data["groups"] or []),
            list(data["blocked"] or []),
            data["longest_tx_s"],
            data["longest_idle_tx_s"],
            tps,
            ratio,
            bool(data["can_see_all"]),
        )
        if not stats.can_see_all:
            stats.notices.append(
                "this role lacks pg_read_all_stats / pg_monitor: other roles' sessions show no "
                "state or query, so counts by state cover your own sessions only"
            )
        if sessions:
            stats.sessions = read_sessions(conn)
        if indexes:
            stats.indexes = self._optional("indexes", INDEX_SQL, stats)
        return stats

    def _optional(self, name: str, query: str, stats: Stats) -> list[dict[str, Any]] | None:
        if name in self.disabled:
            return None
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute(query)
                cols = [d.name for d in cur.description or []]
                return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.QueryCanceled) as exc:
            self.disabled[name] = str(exc).strip().splitlines()[0]
            stats.notices.append(f"{name}: switched off for this session ({self.disabled[name]})")
            return None
