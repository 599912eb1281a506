"""Read-only probes for rehearsals: our backend's relation locks and relfilenodes, sessions on a
relation, invalid indexes. Every query here only reads catalogs and statistics views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

# One round trip: the relation locks this backend holds and the relfilenode of every user table,
# materialized view and index (a changed relfilenode under the same oid is a rewrite).
_SNAPSHOT = (
    "SELECT (SELECT coalesce(json_agg(json_build_array(l.mode, n.nspname || '.' || c.relname)), '[]') "
    "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.relation >= 16384), "
    "(SELECT coalesce(json_agg(json_build_array(c.oid, c.relfilenode, n.nspname || '.' || c.relname, c.relkind)), "
    "'[]') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.oid >= 16384 AND c.relkind IN ('r', 'm', 'i') AND n.nspname NOT LIKE 'pg\\_%')"
)


@dataclass(frozen=True)
class Snapshot:
    locks: frozenset[tuple[str, str]]  # (mode, relation)
    files: dict[int, tuple[int, str, str]]  # oid -> (relfilenode, name, relkind)


def snapshot(conn: psycopg.Connection[Any]) -> Snapshot:
    row = conn.execute(_SNAPSHOT, prepare=False).fetchone()
    assert row is not None
    locks = frozenset((str(m), str(r)) for m, r in row[0])
    files = {int(o): (int(f), str(n), str(k)) for o, f, n, k in row[1]}
    return Snapshot(locks, files)


def rewritten(before: Snapshot, after: Snapshot) -> list[str]:
    """Relations that kept their oid but got a new relfilenode (rewritten tables and rebuilt indexes)."""
    return sorted(
        name for oid, (node, name, _) in after.files.items() if oid in before.files and before.files[oid][0] != node
    )


@dataclass(frozen=True)
class Session:
    pid: int
    application: str
    state: str
    age: float  # seconds in the current state (idle in transaction: since its last statement)
    xact_age: float | None
    query: str
    mode: str
    granted: bool

    def describe(self) -> str:
        mins = self.age / 60
        age = f"{mins:.0f} min" if mins >= 1 else f"{self.age:.0f} s"
        app = f", {self.application}" if self.application else ""
        what = "waiting for" if not self.granted else "holding"
        return f"pid {self.pid} ({self.state} for {age}{app}; {what} {self.mode}; last query: {self.query[:80]!r})"


def sessions_on(conn: psycopg.Connection[Any], relation: str) -> list[Session]:
    """Other sessions of this database holding or waiting for a lock on ``relation`` (read-only)."""
    rows = conn.execute(
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), "
        "extract(epoch FROM now() - coalesce(a.state_change, a.backend_start))::float8, "
        "extract(epoch FROM now() - a.xact_start)::float8, coalesce(a.query, ''), l.mode, l.granted "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'relation' AND l.relation = to_regclass(%s) AND l.pid <> pg_backend_pid() "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY a.pid",
        (relation,),
    ).fetchall()
    return [Session(int(r[0]), r[1], r[2], float(r[3] or 0), r[4], r[5], r[6], bool(r[7])) for r in rows]


def invalid_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(schema, index) of every INVALID index outside the system schemas."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid "
        "AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1, 2"
    ).fetchall()
    return [(str(s), str(n)) for s, n in rows]


def index_state(conn: psycopg.Connection[Any], schema: str | None, name: str) -> bool | None:
    """True: the index exists and is valid; False: it exists and is INVALID; None: no such index."""
    qualified = f'"{schema}"."{name}"' if schema else f'"{name}"'
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", (qualified,)
    ).fetchone()
    return None if row is None else bool(row[0])
