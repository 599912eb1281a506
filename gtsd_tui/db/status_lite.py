"""``status``'s database side read through the bundled libpq (``libpq_lite.py``), without psycopg.

The child ``status`` forks (``services/status_read.py``) spent about 0.15 s importing psycopg before
its first query, more than the parent takes to read 5,000 migrations from a warm cache. Here it sends
the same queries (``status_sql.py``, ``drift_catalog.FINGERPRINT_SQL``: one text for both drivers)
over one connection made with the same parameters (the URL, ``application_name``,
``connect_timeout``), and decodes the same values with the same functions.

A connection no server answered is final (``Libpq.attempt``: made as psycopg makes its attempts,
the same hosts and addresses in the same order, a deadline each): a timeout, a refusal, no route, a
host name that does not resolve come back as :class:`Unreached` in psycopg's words, and the caller
reports them without a second attempt (a host that drops packets was waited for twice before).

Any other doubt gives None, and the caller reads with psycopg as before, which then meets and words
the error itself: a URL libpq would not parse as psycopg does (a bare word), no bundled libpq, a
server that answered and refused (a password, a missing database), a URL whose attempts psycopg
orders itself (``prefer-standby``, random load balancing), a client encoding other than UTF8, a
query that fails, a column of another type than the ones whose text form decodes to psycopg's
values, a value that does not decode. libpq's messages are read only for a connection
no server answered, and worded through ``conn_words.describe_error`` (the password masked).
"""

from __future__ import annotations

from gtsd_tui.core.migrations.status import HistoryRow
from gtsd_tui.db.drift_catalog import FINGERPRINT_SQL, fingerprint_params
from gtsd_tui.db.libpq_lite import Libpq, Unreached, bundled_libpq, numbered
from gtsd_tui.db.status_sql import (
    COLUMN_NAMES_SQL,
    FINGERPRINT_TYPES,
    INVALID_INDEXES_SQL,
    INVALID_TYPES,
    NAME_TYPES,
    ROW_TYPES,
    TABLE_EXISTS_SQL,
    fingerprint_of,
    history_rows,
    invalid_list,
    rows_sql,
)

Read = tuple[list[HistoryRow], list[tuple[str, str]], str | None]


def read_status(url: str, schema: str, table: str) -> Read | Unreached | None:
    """(tracking rows, INVALID indexes, the drift fingerprint when a row exists) as ``read_rows``,
    ``invalid_indexes`` and ``fingerprint`` read them over psycopg; :class:`Unreached` when no server
    answered (a timeout, a refusal, a host name that does not resolve: psycopg's connect would wait
    for the same host again and say the same); None at the least doubt."""
    if not _conninfo(url):
        return None
    path = bundled_libpq()
    if path is None:
        return None
    try:
        pq = Libpq(path)
    except (OSError, AttributeError):  # not loadable, or a libpq without these calls
        return None
    conn = pq.attempt(url)
    if conn is None or isinstance(conn, Unreached):
        return conn
    try:
        if pq.setting(conn, "client_encoding") != "UTF8":  # psycopg would decode another way
            return None
        return _read(pq, conn, schema, table)
    except Exception:  # noqa: BLE001 - a value that does not decode, any surprise: psycopg reads
        return None
    finally:
        pq.finish(conn)


def _conninfo(url: str) -> bool:
    """Whether libpq reads ``url`` as a connection string (a URI, or ``key=value`` pairs), as psycopg's
    parse does: a bare word it would take for a database name, which psycopg's parse calls malformed."""
    return url.startswith(("postgresql://", "postgres://")) or "=" in url


def _read(pq: Libpq, conn: int, schema: str, table: str) -> Read | None:
    rows = _rows(pq, conn, schema, table)
    if rows is None:
        return None
    invalid = pq.query(conn, INVALID_INDEXES_SQL, types=INVALID_TYPES)
    if invalid is None:
        return None
    fp: str | None = None
    if rows:
        query, values = numbered(FINGERPRINT_SQL, fingerprint_params(schema, table))
        got = pq.query(conn, query, [str(v) for v in values], types=FINGERPRINT_TYPES)
        if got is None:  # psycopg's read would give None here; it tries again, and says nothing either
            return None
        fp = fingerprint_of(got[0] if got else None)
    return rows, invalid_list(invalid), fp


def _rows(pq: Libpq, conn: int, schema: str, table: str) -> list[HistoryRow] | None:
    exists_sql, args = numbered(TABLE_EXISTS_SQL, (schema, table))
    params = [str(a) for a in args]
    exists = pq.query(conn, exists_sql, params)
    if exists is None:
        return None
    if not exists:
        return []
    names_sql, _ = numbered(COLUMN_NAMES_SQL, (schema, table))
    names = pq.query(conn, names_sql, params, types=NAME_TYPES)
    if names is None:
        return None
    cols = {str(r[0]) for r in names}
    got = pq.query(conn, rows_sql(schema, table, cols), types=ROW_TYPES)
    return None if got is None else history_rows(got, cols)
