"""Read-only probes for rehearsals: our backend's relation locks and relfilenodes, sessions on a
relation, invalid indexes. Every query here only reads catalogs and statistics views."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq

from gtsd_tui.db.status_sql import INVALID_INDEXES_SQL, invalid_list

# Sent in the same round trip as a statement, inside its transaction: the relation locks this backend
# now holds, each with whether its relation existed before (oid at most the mark $1: a lock on a
# relation the statement created is not charged to it, but stays held), the relations that existed
# before and now have a relfilenode above the mark (rewritten: new relfilenodes come from the same
# counter as oids), the new mark, and the time since the server received the query (the statement's
# duration). Prepared once per connection (PREPARE outlives a rolled-back transaction and touches no
# catalog): planning it on every statement cost more than the catalog reads themselves.
# Rewrites are looked for among the relations this transaction holds a lock on: PostgreSQL gives a
# relation a new relfilenode only under a lock kept to the end of the transaction (ACCESS EXCLUSIVE:
# rewrite, TRUNCATE and its cascade, REINDEX, CLUSTER, SET TABLESPACE), so a rewritten relation is
# always among them, and no pass over pg_class is needed. The new mark is the highest oid (the end of
# pg_class's oid index) or relfilenode of a locked relation: every relfilenode given out so far
# belongs to one of those or equals its relation's oid.
_LOCKED = (
    "WITH l AS MATERIALIZED (SELECT l.mode, c.oid::int8 AS oid, c.relfilenode::int8 AS fn, c.relkind, "
    "n.nspname NOT LIKE 'pg\\_%' AS shown, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name "
    "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.relation >= 16384) "
)


def _columns(mark: str) -> str:
    """The probe's locks, rewrites and next mark for the oid/relfilenode ``mark`` (an expression)."""
    return (
        f"(SELECT coalesce(json_agg(json_build_array(mode, name, oid <= {mark})), '[]') FROM l WHERE shown), "
        f"(SELECT coalesce(json_agg(DISTINCT name ORDER BY name), '[]') FROM l "
        f"WHERE shown AND oid <= {mark} AND fn > {mark} AND relkind IN ('r', 'm', 'i')), "
        f"greatest({mark}, (SELECT max(oid)::int8 FROM pg_class), (SELECT max(fn) FROM l))"
    )


_PROBE = (
    _LOCKED + "SELECT " + _columns("$1") + ", extract(epoch FROM clock_timestamp() - statement_timestamp())::float8"
)
# The same probe chained, for a migration sent with its probes in one query (db/runner.py): the mark
# comes from the previous probe through a session setting (a simple query's statements are all sent
# before the first answer is read, so no probe's parameter can hold it), and the duration is the time
# between the end of the previous probe (or of the chain's start, chain_sql) and the start of this
# one, both read on the server's clock: statement_timestamp() is the same for every statement of one
# query. The settings
# are not transaction-local (a rolled-back transaction restores them; the next start sets them again);
# the clock goes through them as epoch seconds in numeric, whose text no setting changes. A migration's
# own RESET ALL empties them: the probe after it falls back to the migration's first mark ($1) and the
# query's start, and sets them again for the next one.
_MARK, _CLOCK = "gtsd_tui.rehearse_mark", "gtsd_tui.rehearse_clock"
_EPOCH = "extract(epoch FROM clock_timestamp())::numeric(20, 6)::text"
_CHAINED = (
    f"WITH m AS MATERIALIZED (SELECT extract(epoch FROM clock_timestamp())::numeric(20, 6) AS now, "
    f"coalesce(nullif(current_setting('{_MARK}', true), '')::int8, $1) AS mark, "
    f"coalesce(nullif(current_setting('{_CLOCK}', true), '')::numeric, "
    "extract(epoch FROM statement_timestamp())::numeric(20, 6)) AS since), "
    + _LOCKED.removeprefix("WITH ")
    + ", p AS MATERIALIZED (SELECT "
    + _columns("m.mark")
    + " AS next, (m.now - m.since)::float8 AS seconds FROM m) "
    f"SELECT p.*, set_config('{_MARK}', p.next::text, false), set_config('{_CLOCK}', {_EPOCH}, false) FROM p"
)
# After a statement that ran in autocommit (its locks are gone before anyone can look): the rewrites
# and the mark from one pass over the user relations (oid from 16384, the first a user object gets).
_PROBE_ALONE = (
    "SELECT '[]'::json, coalesce(json_agg(DISTINCT name ORDER BY name) FILTER (WHERE oid <= $1 AND fn > $1 "
    "AND relkind IN ('r', 'm', 'i') AND shown), '[]'), greatest($1, max(greatest(oid, fn))), NULL::float8 "
    "FROM (SELECT c.oid::int8 AS oid, c.relfilenode::int8 AS fn, c.relkind, n.nspname NOT LIKE 'pg\\_%' AS shown, "
    "quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid >= 16384) r"
)
PROBE_NAME = "gtsd_rehearse_probe"
CHAIN_NAME = "gtsd_rehearse_chain"


_MARK_NOW = "SELECT greatest(max(oid::int8), max(relfilenode::int8)) FROM pg_class"
_PREPARED_AND_MARK = f"SELECT array(SELECT name::text FROM pg_prepared_statements WHERE name = ANY(%s)), ({_MARK_NOW})"


def prepare_probe(conn: psycopg.Connection[Any]) -> int:
    """Prepare the probes on ``conn`` (once per session) and return the current mark: one round trip on a
    session that has them already (one opened beforehand, :func:`gtsd_tui.services.rehearse_copy.open_run_session`),
    two otherwise (PREPARE creates nothing, so the mark read before it holds)."""
    row = conn.execute(_PREPARED_AND_MARK, ([PROBE_NAME, CHAIN_NAME],)).fetchone()
    have, mark = (set(row[0] or ()), row[1]) if row else (set(), None)
    missing = [
        f"PREPARE {name}(int8) AS {query}"
        for name, query in ((PROBE_NAME, _PROBE), (CHAIN_NAME, _CHAINED))
        if name not in have
    ]
    if missing:
        conn.execute("; ".join(missing), prepare=False)
    return int(mark or 0)


def probe_sql(mark: int) -> str:
    """The probe for the oid/relfilenode ``mark`` taken before the statement (:func:`prepare_probe` first)."""
    return f"EXECUTE {PROBE_NAME}({int(mark)})"


def chain_sql(mark: int) -> tuple[str, str]:
    """For a migration sent with its probes in one query: the query that starts the chain at ``mark``
    (and the clock), then the probe that follows each statement (:func:`prepare_probe` first). Each
    probe's row is :func:`parse_probe`'s, its duration the statement's alone."""
    start = f"SELECT set_config('{_MARK}', '{int(mark)}', false), set_config('{_CLOCK}', {_EPOCH}, false)"
    return start, f"EXECUTE {CHAIN_NAME}({int(mark)})"


def current_mark(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(_MARK_NOW).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Probe:
    locks: frozenset[tuple[str, str]]  # (mode, relation) held now, on relations that existed before
    rewritten: list[str]  # relations that existed before with a new relfilenode
    mark: int  # for the next statement
    seconds: float | None  # server-side duration of the statement (None when probed separately)
    held: frozenset[tuple[str, str]] = frozenset()  # every relation lock held now (new relations too)


def _probe_of(locks: list[list[Any]], rewritten: list[Any], mark: Any, seconds: float | None) -> Probe:
    held = frozenset((str(m), str(r)) for m, r, _ in locks)
    old = frozenset((str(m), str(r)) for m, r, existed in locks if existed)
    return Probe(old, [str(x) for x in rewritten], int(mark or 0), seconds, held)


def parse_probe(row: list[str | None]) -> Probe:
    locks, rewritten = json.loads(row[0] or "[]"), json.loads(row[1] or "[]")
    return _probe_of(locks, rewritten, row[2], float(row[3] or 0))


def probe(conn: psycopg.Connection[Any], mark: int) -> Probe:
    """The probe on its own, after a statement that ran in autocommit."""
    row = conn.execute(_PROBE_ALONE.replace("$1", str(int(mark))), prepare=False).fetchone()
    assert row is not None
    return _probe_of(row[0], row[1], row[2], None)


def in_transaction(conn: psycopg.Connection[Any]) -> bool:
    """Inside a transaction block (``BEGIN`` sent, no ``COMMIT`` yet): what is locked stays locked."""
    return conn.pgconn.transaction_status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)


def held_at_start(conn: psycopg.Connection[Any], mark: int) -> frozenset[tuple[str, str]]:
    """The relation locks held as a migration starts (:func:`prepare_probe` first): none outside a
    transaction (its batch, ``BEGIN`` included, is not sent yet, or it runs in autocommit); inside one,
    what this backend holds, read by the probe on its own: nothing right after the migration's own
    ``BEGIN``, but under ``--tx all`` every lock of the earlier migrations and of their tracking rows,
    held to the one ``COMMIT`` and taken by none of this migration's statements."""
    if conn.pgconn.transaction_status != pq.TransactionStatus.INTRANS:
        return frozenset()
    row = conn.execute(probe_sql(mark), prepare=False).fetchone()
    assert row is not None
    return _probe_of(row[0], row[1], row[2], None).held


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
    return sessions_on_all(conn, [relation]).get(relation, [])


def sessions_on_all(conn: psycopg.Connection[Any], relations: list[str]) -> dict[str, list[Session]]:
    """:func:`sessions_on` for many relations in one round trip."""
    rows = conn.execute(
        "SELECT r.name, a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), "
        "extract(epoch FROM now() - coalesce(a.state_change, a.backend_start))::float8, "
        "extract(epoch FROM now() - a.xact_start)::float8, coalesce(a.query, ''), l.mode, l.granted "
        "FROM unnest(%s::text[]) r(name) JOIN pg_locks l ON l.relation = to_regclass(r.name) "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid() "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY a.pid",
        (relations,),
    ).fetchall()
    out: dict[str, list[Session]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(Session(int(r[1]), r[2], r[3], float(r[4] or 0), r[5], r[6], r[7], bool(r[8])))
    return out


def qualified(conn: psycopg.Connection[Any], name: str) -> str:
    """``schema.name`` of a relation as the search path resolves it (``name`` itself if it does not)."""
    row = conn.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s)",
        (name,),
    ).fetchone()
    return str(row[0]) if row else name


def invalid_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(schema, index) of every INVALID index outside the system schemas."""
    return invalid_list(conn.execute(INVALID_INDEXES_SQL).fetchall())


def index_state(conn: psycopg.Connection[Any], schema: str | None, name: str) -> bool | None:
    """True: the index exists and is valid; False: it exists and is INVALID; None: no such index."""
    qualified = f'"{schema}"."{name}"' if schema else f'"{name}"'
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", (qualified,)
    ).fetchone()
    return None if row is None else bool(row[0])
