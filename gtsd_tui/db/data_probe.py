"""Run the data checks of :mod:`gtsd_tui.core.data.data_checks` on the target, read-only.

(Not the folder refusals of :mod:`gtsd_tui.core.migrations.preflight`.) Each check is its own transaction,
``BEGIN READ ONLY`` with ``statement_timeout`` and ``lock_timeout`` set locally: plain ``SELECT``s,
so the only table lock taken is ``ACCESS SHARE``, held for one check at a time, and nothing can be
written. A check that runs past the timeout is answered from the planner's statistics
(``pg_class.reltuples``, ``pg_stats``) and marked as an estimate, never as "ok".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors

from gtsd_tui.core.data.data_checks import (
    CAST,
    LOSS,
    NOT_NULL,
    UNIQUE,
    WARNING,
    Check,
    count_sql,
    literal,
    sample_sql,
    valid_input_sql,
)
from gtsd_tui.db.connect import connect, first_line
from gtsd_tui.errors import DatabaseError

FAILS, LOSES, OK, ESTIMATE, UNCHECKED = "fails", "loses", "ok", "estimate", "unchecked"
APP_NAME = "gtsd-tui preflight"


@dataclass(frozen=True)
class Outcome:
    status: str  # fails (proven) / loses (data lost, a warning) / ok / estimate (timed out) / unchecked
    count: int | None = None  # offending rows (unique: rows in duplicate groups)
    groups: int | None = None  # unique: duplicate groups
    sample: list[list[str]] = field(default_factory=list)  # up to five rows' keys, as text
    key_columns: list[str] = field(default_factory=list)  # what the sample's values are (ctid without a key)
    query: str | None = None
    sample_query: str | None = None
    estimated: bool = False
    note: str | None = None


@dataclass
class _Table:
    exists: bool
    keys: list[str]
    reltuples: float
    columns: dict[str, tuple[str, str]]  # name -> (type category, format_type)
    stats: dict[str, tuple[float, float]]  # name -> (null_frac, n_distinct)


_FACTS = """
SELECT c.oid IS NOT NULL,
       coalesce((SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
                 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary), '{}'),
       coalesce(c.reltuples, -1)::float8,
       coalesce((SELECT json_object_agg(a.attname,
                                        json_build_array(t.typcategory, format_type(a.atttypid, a.atttypmod)))
                 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
       coalesce((SELECT json_object_agg(s.attname, json_build_array(s.null_frac, s.n_distinct))
                 FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname
                 WHERE n.oid = c.relnamespace AND s.tablename = c.relname), '{}')
FROM (SELECT to_regclass(%s) AS oid) r LEFT JOIN pg_class c ON c.oid = r.oid
"""


@contextmanager
def read_only(conn: Any, timeout_ms: int) -> Iterator[None]:
    """One transaction that cannot write, whose statements and lock waits end after ``timeout_ms``
    (the settings in one round trip, after psycopg's BEGIN; rolled back on any error)."""
    with conn.transaction():
        ms = int(timeout_ms)
        conn.execute(f"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {ms}; SET LOCAL lock_timeout = {ms}")
        yield


def _tables(conn: Any, names: list[str], timeout_ms: int) -> dict[str, _Table]:
    out: dict[str, _Table] = {}
    with read_only(conn, timeout_ms):
        for name in names:
            row = conn.execute(_FACTS, (name,)).fetchone()
            exists, keys, reltuples, cols, stats = row
            out[name] = _Table(
                bool(exists),
                list(keys or []),
                float(reltuples),
                {k: (str(v[0]), str(v[1])) for k, v in (cols or {}).items()},
                {k: (float(v[0]), float(v[1])) for k, v in (stats or {}).items()},
            )
    return out


_ASSIGNABLE = """
SELECT s.oid = t.oid OR t.typcategory = 'S' OR 'd' IN (s.typtype, t.typtype) OR 'A' IN (s.typcategory, t.typcategory)
       OR EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = s.oid AND c.casttarget = t.oid
                  AND c.castcontext IN ('a', 'i')),
       format_type(s.oid, NULL), format_type(t.oid, NULL)
FROM pg_attribute a JOIN pg_type s ON s.oid = a.atttypid JOIN pg_type t ON t.oid = to_regtype({})
WHERE a.attrelid = to_regclass({}) AND a.attname = {} AND NOT a.attisdropped
"""


def assignable_sql(c: Check) -> str:
    args = (literal(c.target_type or ""), literal(c.table.sql), literal(c.column or ""))
    return " ".join(_ASSIGNABLE.format(*args).split())


def _no_assignment_cast(conn: Any, c: Check, timeout_ms: int) -> tuple[str, str] | None:
    """For ``ALTER COLUMN ... TYPE`` without USING: why the server refuses it whatever the rows (no
    assignment cast from the column's type to the new one), or None (there is one, or we cannot tell)."""
    if not c.assignment or c.column is None or c.target_type is None:
        return None
    query = assignable_sql(c)
    with read_only(conn, timeout_ms):
        row = conn.execute(query).fetchone()
    if row is None or row[0]:
        return None
    return query, (
        f"no assignment cast from {row[1]} to {row[2]}: the statement fails whatever the rows "
        f"(it needs USING {c.column}::{c.target_type} or another expression)"
    )


def _estimate(c: Check, t: _Table) -> tuple[int | None, str]:
    """(estimated offending rows, how) from statistics; None where statistics cannot tell."""
    if t.reltuples < 0:
        return None, "the table has never been analysed: no statistics"
    rows = t.reltuples
    if c.condition == "true":
        return round(rows), "pg_class.reltuples"
    st = t.stats.get(c.column or "") if c.column else None
    if st is None:
        return None, "no column statistics for this check"
    null_frac, n_distinct = st
    if c.kind == NOT_NULL:
        return round(rows * null_frac), "pg_class.reltuples × pg_stats.null_frac"
    if c.kind == LOSS:
        return round(rows * (1 - null_frac)), "pg_class.reltuples × (1 − pg_stats.null_frac)"
    if c.kind == UNIQUE and len(c.group) == 1:
        distinct = -n_distinct * rows if n_distinct < 0 else n_distinct
        return max(0, round(rows * (1 - null_frac) - distinct)), "non-null rows − pg_stats.n_distinct"
    return None, "statistics cannot tell this check"


def _server_num(conn: Any) -> int:
    return int(conn.info.server_version)


def _run_one(conn: Any, c: Check, t: _Table, timeout_ms: int) -> Outcome:
    keys = t.keys or ["ctid"]
    query = count_sql(c)
    sample_q = sample_sql(c, t.keys)
    try:
        if c.kind == CAST and (refused := _no_assignment_cast(conn, c, timeout_ms)) is not None:
            return Outcome(FAILS, None, key_columns=keys, query=refused[0], note=refused[1])
        with read_only(conn, timeout_ms):
            row = conn.execute(query).fetchone()
            converts = c.kind == CAST and c.condition is None  # no error: every value converts
            groups, count = (int(row[0]), int(row[1])) if c.kind == UNIQUE else (None, int(row[0]))
            sample: list[list[str]] = []
            if not converts and count and sample_q:
                sample = [[_text(v) for v in r] for r in conn.execute(sample_q).fetchall()]
        if converts:  # whether each value comes back the same is asked next
            return _narrowing(conn, c, t, timeout_ms) or Outcome(OK, 0, query=query)
        status = OK if not count else (LOSES if c.severity == WARNING else FAILS)
        return Outcome(status, count, groups, sample, keys, query, sample_q if count else None)
    except errors.QueryCanceled:
        est, how = _estimate(c, t)
        note = (
            f"timed out after {timeout_ms} ms; estimate from {how}"
            if est is not None
            else f"timed out after {timeout_ms} ms; {how}"
        )
        return Outcome(ESTIMATE, est, key_columns=keys, query=query, estimated=True, note=note)
    except errors.LockNotAvailable:
        return Outcome(
            UNCHECKED,
            query=query,
            note=f"another session holds a lock that ACCESS SHARE waits for (lock_timeout {timeout_ms} ms)",
        )
    except psycopg.errors.DataError as exc:  # class 22: a value that does not convert
        if c.kind == CAST and c.condition is None:
            return _cast_failed(conn, c, t, timeout_ms, query, first_line(None, exc))
        return Outcome(UNCHECKED, query=query, note=f"the check itself failed: {first_line(None, exc)}")
    except psycopg.Error as exc:
        if conn.closed or conn.broken:
            raise
        return Outcome(UNCHECKED, query=query, note=f"the check itself failed: {first_line(None, exc)}")


def _narrowing(conn: Any, c: Check, t: _Table, timeout_ms: int) -> Outcome | None:
    """A type change that converts every value: the values that do not come back the same when
    converted back to the column's type (numeric rounding, time of day dropped), as a loss; None
    when none changes, or when it cannot be told (a USING expression, no conversion back)."""
    from dataclasses import replace

    if not c.source_is_column or c.column is None or c.column not in t.columns:
        return None
    old = t.columns[c.column][1]
    src = c.source
    cond = f"{src} IS NOT NULL AND (({src})::{c.target_type})::{old} IS DISTINCT FROM {src}"
    measured = _rows_where(conn, replace(c, condition=cond, kind=LOSS), t, timeout_ms)
    if measured is None or not measured[0]:
        return None
    count, sample, q, sq = measured
    note = f"every value converts to {c.target_type}, but these do not come back the same as {old}: data changes"
    return Outcome(LOSES, count, None, sample, t.keys or ["ctid"], q, sq, note=note)


def _cast_failed(conn: Any, c: Check, t: _Table, timeout_ms: int, query: str, error: str) -> Outcome:
    """A conversion proven to fail; counted row by row where the source is text (PostgreSQL 16+)."""
    keys = t.keys or ["ctid"]
    source_is_text = c.source_is_column and c.column is not None and t.columns.get(c.column, ("", ""))[0] == "S"
    cond = valid_input_sql(c)
    if not source_is_text or cond is None or _server_num(conn) < 160000:
        return Outcome(FAILS, None, key_columns=keys, query=query, note=f"at least one value fails: {error}")
    from dataclasses import replace

    measured = _rows_where(conn, replace(c, condition=cond), t, timeout_ms)
    if measured is None:
        return Outcome(FAILS, None, key_columns=keys, query=query, note=f"at least one value fails: {error}")
    count, sample, q, sq = measured
    return Outcome(FAILS, count, None, sample, keys, q, sq, note=error)


def _rows_where(conn: Any, c: Check, t: _Table, timeout_ms: int) -> tuple[int, list[list[str]], str, str | None] | None:
    """The rows ``c``'s condition selects: (count, sample keys, count query, sample query); None when
    the check itself fails (the connection's own failures are raised)."""
    q, sq = count_sql(c), sample_sql(c, t.keys)
    try:
        with read_only(conn, timeout_ms):
            count = int(conn.execute(q).fetchone()[0])
            sample = [[_text(v) for v in r] for r in conn.execute(sq).fetchall()] if sq and count else []
    except psycopg.Error:
        if conn.closed or conn.broken:
            raise
        return None
    return count, sample, q, sq


def _text(v: Any) -> str:
    return v if isinstance(v, str) else str(v)


def target_facts(
    url: str, constraints: list[tuple[str, str]], enums: list[str], timeout: float
) -> tuple[dict[tuple[str, str], str], dict[str, list[tuple[str, str, str]]]]:
    """Read-only, from the target's catalog: ``pg_get_constraintdef`` of each (table as SQL, constraint)
    found, and the (schema, table, column) of each table column whose type is each enum (as SQL)."""
    defs: dict[tuple[str, str], str] = {}
    columns: dict[str, list[tuple[str, str, str]]] = {}
    timeout_ms = max(10_000, int(timeout * 1000))
    try:
        with connect(url, application_name=APP_NAME, prepare_threshold=None) as conn, read_only(conn, timeout_ms):
            for table, name in constraints:
                row = conn.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = to_regclass(%s) AND conname = %s",
                    (table, name),
                ).fetchone()
                if row is not None:
                    defs[(table, name)] = str(row[0])
            for enum in enums:
                columns[enum] = [
                    (str(n), str(t), str(c))
                    for n, t, c in conn.execute(
                        "SELECT n.nspname, r.relname, a.attname FROM pg_attribute a "
                        "JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
                        "WHERE a.atttypid = to_regtype(%s) AND r.relkind IN ('r', 'p') AND a.attnum > 0 "
                        "AND NOT a.attisdropped ORDER BY 1, 2, 3",
                        (enum,),
                    ).fetchall()
                ]
    except psycopg.Error as exc:
        raise DatabaseError(f"data preflight: {first_line(url, exc)}") from None
    return defs, columns


def probe(
    url: str, checks: list[Check], timeout: float, progress: Callable[[int, int], None] | None = None
) -> list[Outcome]:
    """One outcome per check, in order (a check with a ``reason`` is not run)."""
    try:
        return _probe(url, checks, max(1, int(timeout * 1000)), progress)
    except psycopg.Error as exc:  # the connection lost mid-way, a catalog read refused: one line, exit 3
        raise DatabaseError(f"data preflight: {first_line(url, exc)}") from None


def _unread(c: Check) -> Outcome:
    """The outcome of a check that reads no row (a table the plan creates, or one it cannot judge)."""
    return Outcome(OK, 0, note=c.reason) if c.empty else Outcome(UNCHECKED, note=c.reason)


def _probe(
    url: str, checks: list[Check], timeout_ms: int, progress: Callable[[int, int], None] | None
) -> list[Outcome]:
    out: list[Outcome] = []
    if not any(c.checked for c in checks):  # every one judged without the target's rows: no session
        for i, c in enumerate(checks):
            if progress:
                progress(i, len(checks))
            out.append(_unread(c))
        return out
    with connect(url, application_name=APP_NAME, prepare_threshold=None) as conn:  # no prepared statements: PgBouncer
        names = sorted({c.table.sql for c in checks if c.checked})
        tables = _tables(conn, names, max(timeout_ms, 10_000))  # catalog reads: short, never estimated
        for i, c in enumerate(checks):
            if progress:
                progress(i, len(checks))
            if not c.checked:
                out.append(_unread(c))
                continue
            t = tables[c.table.sql]
            if not t.exists:
                missing = f"{c.table.label} is not on the target"
                lost = c.kind == LOSS  # DROP TABLE IF EXISTS of a table that is not there: nothing is lost
                out.append(Outcome(OK, 0, note=missing) if lost else Outcome(UNCHECKED, note=missing))
                continue
            out.append(_run_one(conn, c, t, timeout_ms))
    return out
