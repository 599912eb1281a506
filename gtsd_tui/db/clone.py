"""A throwaway copy of a target database for a rehearsal; the target is only read.

``CREATE DATABASE ... TEMPLATE`` on the target's server when it is local, we may create databases
there and nobody else is connected to the target; otherwise ``pg_dump --schema-only`` of the target
(plus the tracking table's rows) restored into a scratch database on a server we may write to.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from gtsd_tui.config import is_local_host, mask_url, parse_target, scrub
from gtsd_tui.core.dbnames import host_tag, rehearse_owner
from gtsd_tui.db.admin import admin_url, can_create_databases, dbname_of
from gtsd_tui.db.clone_sql import (
    ORPHANS_QUERY,
    STRATEGIES,
    may_template_query,
    settled,
    strategy_query,
    template_copy_name,
)
from gtsd_tui.db.connect import connect
from gtsd_tui.db.history import read_rows, table_ident
from gtsd_tui.errors import DatabaseError

TEMPLATE, SCHEMA_ONLY = "template", "schema-only"


@dataclass(frozen=True)
class Clone:
    url: str
    admin: str  # maintenance database of the server holding the clone
    name: str
    method: str  # template | schema-only
    notice: str | None  # one line to show the user (schema-only: data effects not measured)
    # the maintenance session that made a template copy, kept open to drop it (no new session then)
    session: psycopg.Connection[Any] | None = field(default=None, compare=False, repr=False)


def copy_url(url: str, name: str) -> str:
    """``url`` with the copy ``name`` as its database (what :func:`adopt_template_copy` connects to)."""
    return _with_db(url, name)


def _with_db(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})


def _may_template(conn: psycopg.Connection[Any], url: str, target: str) -> str | None:
    """None when a template copy may be made; else why not. One query a try: the role's right and the
    other sessions on the target (a session of ours closed a moment ago leaves with a short delay)."""
    if not is_local_host(parse_target(url).host):
        return "the target is not on a local server"

    def ask() -> tuple[bool, int, int] | None:
        row = conn.execute(may_template_query("%s"), (target, target), prepare=False).fetchone()
        return (bool(row[0]), int(row[1]), int(row[2])) if row else None

    answer = settled(ask)
    if not (answer and answer[0]):
        return "the role may not create databases"
    others = answer[1]
    if not others:
        return None
    return f"{others} other session(s) are connected to {target}"


def copy_strategy(conn: psycopg.Connection[Any], target: str) -> str:
    """The strategy clause of the template copy of ``target`` (:func:`~gtsd_tui.db.clone_sql.strategy_query`)."""
    row = conn.execute(strategy_query("%s"), (target,), prepare=False).fetchone()
    clause = str(row[0]) if row else ""
    return clause if clause in STRATEGIES else ""


def open_admin(url: str) -> psycopg.Connection[Any]:
    """A session on the target server's maintenance database, for :func:`make_clone`."""
    return connect(admin_url(url))


def make_clone(
    url: str,
    schema: str,
    table: str,
    scratch_server: Callable[[], str],
    pg_dump: Callable[[], str],
    started: Callable[[], None] = lambda: None,
    session: psycopg.Connection[Any] | None = None,
) -> Clone:
    """The copy; ``scratch_server()`` gives the admin URL of the embedded server when the target's
    own server may not hold it, ``pg_dump()`` the pg_dump to run for a schema-only copy; ``started()``
    is called once the server has been asked for the copy (the caller's own work can then begin
    without slowing down the requests before it); ``session``: a connection to :func:`open_admin`
    opened beforehand (taken over: kept for the drop or closed here)."""
    target = dbname_of(url)
    admin = admin_url(url)
    conn, kept = session or connect(admin), False
    try:
        why_not = _may_template(conn, url, target)
        if why_not is None:
            name = template_copy_name(target)
            try:
                query = sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                    sql.Identifier(name), sql.Identifier(target), sql.SQL(copy_strategy(conn, target))
                )
                started()
                conn.execute(query)
                kept = True  # the caller's now: drop_clone closes it
                return Clone(_with_db(url, name), admin, name, TEMPLATE, None, conn)
            except psycopg.errors.ObjectInUse:
                why_not = f"someone connected to {target} meanwhile"
            except psycopg.Error as exc:
                why_not = str(exc).strip().splitlines()[0]
        local_ok = is_local_host(parse_target(url).host) and can_create_databases(conn)
    finally:
        if not kept:
            conn.close()
    started()
    scratch_admin = admin if local_ok else scratch_server()
    where = "the target's server" if local_ok else "the embedded server"
    notice = (
        f"schema-only copy ({why_not}): pg_dump --schema-only of {target} restored on {where}; "
        "effects that depend on the data (rewrite time, failing constraints) are not measured"
    )
    return _schema_only(url, schema, table, scratch_admin, pg_dump(), notice)


def _schema_only(url: str, schema: str, table: str, scratch_admin: str, pg_dump: str, notice: str) -> Clone:
    from gtsd_tui.db.connect import child_conninfo

    conninfo, env = child_conninfo(url)  # the password goes through the environment, never argv
    dump = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--dbname", conninfo],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    if dump.returncode != 0:
        last = scrub((dump.stderr.strip().splitlines() or ["failed"])[-1], url)
        raise DatabaseError(f"pg_dump --schema-only of {mask_url(url)}: {last}")
    with connect(url) as src:
        rows = read_rows(src, schema, table)
    name = template_copy_name(dbname_of(url))
    with connect(scratch_admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    clone = Clone(_with_db(scratch_admin, name), scratch_admin, name, SCHEMA_ONLY, notice)
    try:
        script = "\n".join(line for line in dump.stdout.splitlines() if not line.startswith("\\"))
        with connect(clone.url) as conn:
            conn.execute(script.encode())
            conn.execute("SELECT pg_catalog.set_config('search_path', 'public', false)")
            for r in rows:
                conn.execute(
                    sql.SQL("INSERT INTO {} (id, hash, created_at) VALUES (%s, %s, %s)").format(
                        table_ident(schema, table)
                    ),
                    (r.id, r.hash, r.created_at),
                )
            if rows:  # the id sequence continues after the copied rows, as on the target
                ident = table_ident(schema, table)
                conn.execute(
                    sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
                        sql.Literal(ident.as_string(conn)), ident
                    )
                )
    except (psycopg.Error, DatabaseError) as exc:
        drop_clone(clone)
        raise DatabaseError(f"restoring the schema-only copy: {str(exc).strip().splitlines()[0]}") from None
    return clone


def adopt_template_copy(url: str, name: str, session: psycopg.Connection[Any] | None) -> Clone:
    """The copy :mod:`gtsd_tui.db.early_copy` made of ``url``'s database, dropped like any other
    (on ``session``, a connection to :func:`open_admin`, when given)."""
    return Clone(_with_db(url, name), admin_url(url), name, TEMPLATE, None, session)


def drop_clone(clone: Clone) -> None:
    """Drop the copy (its sessions terminated first); never raises for a copy already gone. On the
    session that made it when that is still usable, else on a new one."""
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(clone.name))
    kept = clone.session
    if kept is not None and not kept.closed:
        try:
            with kept:
                _left(kept, clone.name)
                kept.execute(drop)
                _sweep_quietly(kept)
            return
        except psycopg.OperationalError:  # the session broke meanwhile (server restarted): a new one
            pass
    with connect(clone.admin) as conn:
        _left(conn, clone.name)
        conn.execute(drop)
        _sweep_quietly(conn)


LEAVING = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"


def _left(conn: psycopg.Connection[Any], name: str, tries: int = 60, pause: float = 0.004) -> int:
    """Wait (at most about a quarter of a second) until no client session is connected to the copy;
    the sessions still there after the wait (0: none). The run's session has just been closed and its
    backend leaves a moment later; DROP DATABASE finding it still there sleeps 100 ms before it looks
    again (``CountOtherDBBackends``), which cost a rehearsal 0.1 s about one time in two. A session
    still there after the wait is terminated by ``WITH (FORCE)`` as before."""

    def ask() -> tuple[bool, int]:
        row = conn.execute(LEAVING, (name,), prepare=False).fetchone()
        return True, int(row[0]) if row else 0

    answer = settled(ask, tries, pause)
    return answer[1] if answer else 0


def _sweep_quietly(conn: psycopg.Connection[Any]) -> None:
    """Copies left by killed rehearsals dropped after our own (never a reason to fail the rehearsal)."""
    try:
        sweep_orphans(conn)
    except psycopg.Error:
        pass


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def sweep_orphans(conn: psycopg.Connection[Any]) -> list[str]:
    """Drop the rehearsal copies on ``conn``'s server whose owner ran on this host and is gone (killed
    by SIGKILL, a power cut); copies of live processes and of other hosts are left alone. Returns the
    names dropped."""
    mine, dropped = host_tag(socket.gethostname()), []
    try:
        names = conn.execute(ORPHANS_QUERY, prepare=False).fetchall()
    except psycopg.Error:
        return []
    for (name,) in names:
        owner = rehearse_owner(str(name))
        if owner is None or owner[1] != mine or owner[0] == os.getpid() or not _gone(owner[0]):
            continue
        try:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name))))
        except psycopg.Error:
            continue  # another sweeper is dropping it, or we may not: the next sweep tries again
        dropped.append(str(name))
    return dropped
