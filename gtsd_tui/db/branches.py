"""Database-level operations for branch databases: labels, renames, clones, sizes (psycopg only).

A database parked for a branch, and the one in place, carry a comment ``gtsd-tui branch <json>``
(``{"db": target, "branch": name, "at": ms}``); a prefix template carries reset's template comment
(``gtsd-tui template <fingerprint>``)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import psycopg
from psycopg import sql

from gtsd_tui.db.admin import COMMENT_PREFIX
from gtsd_tui.db.reset_sql import BRANCH_LABEL, like_prefix
from gtsd_tui.errors import DatabaseError


def _first(exc: psycopg.Error) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def exists(conn: psycopg.Connection[Any], name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _comment(conn: psycopg.Connection[Any], name: str) -> str | None:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def _parse_label(comment: str | None) -> dict[str, Any] | None:
    if not comment or not comment.startswith(BRANCH_LABEL):
        return None
    try:
        data = json.loads(comment[len(BRANCH_LABEL) :])
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("branch"), str) else None


def label(conn: psycopg.Connection[Any], name: str) -> dict[str, Any] | None:
    """The branch label of a database (None: none, or not ours)."""
    return _parse_label(_comment(conn, name))


def set_label(conn: psycopg.Connection[Any], name: str, target: str, branch: str, **more: Any) -> None:
    data = {"db": target, "branch": branch, "at": int(time.time() * 1000), **more}
    text = BRANCH_LABEL + json.dumps(data, ensure_ascii=False, sort_keys=True)
    conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(text)))


def labelled(conn: psycopg.Connection[Any], target: str) -> list[tuple[str, dict[str, Any], int]]:
    """(database, label, size in bytes) of every database labelled for ``target`` other than itself."""
    rows = conn.execute(
        "SELECT datname, shobj_description(oid, 'pg_database'), pg_database_size(oid) FROM pg_database "
        "WHERE shobj_description(oid, 'pg_database') LIKE %s AND datname <> %s ORDER BY datname",
        (BRANCH_LABEL.replace("_", "\\_") + "%", target),
    ).fetchall()
    out = []
    for name, comment, size in rows:
        data = _parse_label(comment)
        if data is not None and data.get("db") == target:
            out.append((str(name), data, int(size)))
    return out


def template_labels(conn: psycopg.Connection[Any], names: list[str]) -> dict[str, str]:
    """{template name: fingerprint} for those of ``names`` that exist with a template comment."""
    rows = conn.execute(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ANY(%s)", (names,)
    ).fetchall()
    out = {}
    for name, comment in rows:
        if comment and str(comment).startswith(COMMENT_PREFIX):
            out[str(name)] = str(comment)[len(COMMENT_PREFIX) :]
    return out


def prefix_templates(conn: psycopg.Connection[Any], family: str) -> list[str]:
    """The prefix templates whose names start with ``family`` and end in 16 hex characters, newest
    first (by creation: a database's oid grows with each one made)."""
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY oid DESC", (like_prefix(family),)
    ).fetchall()
    return [str(r[0]) for r in rows if re.fullmatch(r"[0-9a-f]{16}", str(r[0])[len(family) :])]


def terminate(conn: psycopg.Connection[Any], name: str) -> None:
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
    )


def rename(conn: psycopg.Connection[Any], old: str, new: str) -> None:
    """``ALTER DATABASE old RENAME TO new``, its sessions ended first (retried when a client
    reconnects in between); DatabaseError naming both after the third try."""
    for attempt in range(5):
        terminate(conn, old)
        try:
            conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))
            return
        except psycopg.errors.ObjectInUse as exc:
            if attempt == 4:
                raise DatabaseError(f"renaming database {old} to {new}: {_first(exc)}") from None
            time.sleep(0.05 * (attempt + 1))
        except psycopg.Error as exc:
            raise DatabaseError(f"renaming database {old} to {new}: {_first(exc)}") from None


def drop(conn: psycopg.Connection[Any], name: str) -> None:
    try:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise DatabaseError(f"dropping database {name}: {_first(exc)}") from None


def create(conn: psycopg.Connection[Any], name: str, template: str | None = None) -> None:
    """A new database, empty or a copy of ``template`` (FILE_COPY on PostgreSQL 15+); a template
    still being left by its last session is waited for briefly."""
    ident = sql.Identifier(name)
    if template is None:
        query = sql.SQL("CREATE DATABASE {}").format(ident)
    else:
        strategy = sql.SQL(" STRATEGY = FILE_COPY") if conn.info.server_version >= 150000 else sql.SQL("")
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(ident, sql.Identifier(template), strategy)
    for attempt in range(20):
        try:
            conn.execute(query)
            return
        except psycopg.errors.ObjectInUse as exc:  # the session that just closed is still leaving
            if attempt == 19:
                raise DatabaseError(f"creating database {name}: {_first(exc)}") from None
            time.sleep(0.05)
        except psycopg.Error as exc:
            raise DatabaseError(f"creating database {name}: {_first(exc)}") from None


def mark_template(conn: psycopg.Connection[Any], name: str, fingerprint: str) -> None:
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(COMMENT_PREFIX + fingerprint))
    )


def size_of(conn: psycopg.Connection[Any], name: str) -> int | None:
    row = conn.execute("SELECT pg_database_size(oid) FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return None if row is None else int(row[0])


def url_for(url: str, name: str) -> str:
    """``url`` with its database name replaced (host, port, user, password and options kept)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})


def rows_of(url: str, name: str, schema: str, table: str) -> list[Any]:
    """The tracking rows of database ``name`` on the server of ``url`` (read-only, own connection)."""
    from gtsd_tui.db.connect import connect
    from gtsd_tui.db.history import read_rows

    with connect(url_for(url, name)) as conn:
        return read_rows(conn, schema, table)
