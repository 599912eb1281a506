"""Database-level operations for local resets: drop, create, clone from a template."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from gtsd_tui.db.clone_sql import ADMIN_DB
from gtsd_tui.db.connect import connect
from gtsd_tui.db.reset_sql import (  # noqa: F401 - the names are admin's API too
    BRANCH_LABEL,
    COMMENT_PREFIX,
    NEXT_SUFFIX,
    SPARE_PREFIX,
    SPARE_SUFFIX,
    TEMPLATE_SUFFIX,
    TRASH_SUFFIX,
    next_name,
    reset_lock_key,
    spare_name,
    template_name,
    trash_among,
    trash_like,
    trash_name,
)
from gtsd_tui.errors import DatabaseError


def admin_url(url: str) -> str:
    """The same server, maintenance database ``postgres``."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = ADMIN_DB
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})


def dbname_of(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "")


def can_create_databases(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def _label(conn: psycopg.Connection[Any], dbname: str, prefix: str) -> str | None:
    """The fingerprint in a database's comment ``<prefix><fingerprint>``, if it has one."""
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (dbname,)
    ).fetchone()
    if row is None or not row[0] or not str(row[0]).startswith(prefix):
        return None
    return str(row[0])[len(prefix) :]


def branch_comment(conn: psycopg.Connection[Any], dbname: str) -> str | None:
    """The database's branch label (``BRANCH_LABEL`` + JSON, written by ``git install --branch-db``'s
    hook), to be kept by a reset: the reset database still belongs to that branch."""
    found = _label(conn, dbname, BRANCH_LABEL)
    return None if found is None else BRANCH_LABEL + found


def set_comment(conn: psycopg.Connection[Any], dbname: str, text: str | None) -> None:
    conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(dbname), sql.Literal(text)))


def template_fingerprint(conn: psycopg.Connection[Any], template: str) -> str | None:
    return _label(conn, template, COMMENT_PREFIX)


def recreate(conn: psycopg.Connection[Any], name: str, template: str | None = None) -> None:
    ident = sql.Identifier(name)
    try:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        if template:
            # FILE_COPY (PG15+) copies the files instead of WAL-logging every block: several times
            # faster for a migrated schema of a few hundred tables.
            strategy = sql.SQL(" STRATEGY = FILE_COPY") if conn.info.server_version >= 150000 else sql.SQL("")
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(ident, sql.Identifier(template), strategy))
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    except psycopg.Error as exc:
        raise DatabaseError(f"recreating database {name}: {str(exc).strip().splitlines()[0]}") from None


def save_template(conn: psycopg.Connection[Any], source: str, template: str, fingerprint: str) -> None:
    if template == source:  # never: derived names always end with their suffix; a guard all the same
        raise DatabaseError(f"template name {template} is the database's own name")
    recreate(conn, template, template=source)
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(template), sql.Literal(COMMENT_PREFIX + fingerprint)
        )
    )


def reset_schemas(url: str) -> list[str]:
    """Without the right to create databases: drop every user schema (and recreate public)."""
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' "
            "AND pg_has_role(nspowner, 'USAGE')"
        ).fetchall()
        names = [str(r[0]) for r in rows]
        with conn.transaction():
            for name in names:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
            conn.execute("CREATE SCHEMA IF NOT EXISTS public")
    return names


def run_sql_file(url: str, text: str) -> None:
    with connect(url) as conn:
        try:
            with conn.transaction():
                conn.execute(text)
        except psycopg.Error as exc:
            raise DatabaseError(f"seed: {str(exc).strip().splitlines()[0]}") from None


Step = Callable[[str], None]  # told after each step of a swap (the reset's kill hook for the crash tests)


def _no_step(_name: str) -> None:
    """Steps heard by nobody."""


def trash_of(conn: psycopg.Connection[Any], name: str) -> list[str]:
    """The trash databases left by resets of ``name``, oldest first."""
    rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (trash_like(name),)).fetchall()
    return trash_among(name, [str(r[0]) for r in rows])


def exists(conn: psycopg.Connection[Any], name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def spare_fingerprint(conn: psycopg.Connection[Any], spare: str) -> str | None:
    return _label(conn, spare, SPARE_PREFIX)


def _rename(conn: psycopg.Connection[Any], old: str, new: str) -> None:
    conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def _terminate(conn: psycopg.Connection[Any], name: str) -> None:
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
    )


def _first(exc: psycopg.Error) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def repair(conn: psycopg.Connection[Any], name: str, step: Step = _no_step) -> str | None:
    """Under the reset lock, before anything else: a target missing since a reset died (or failed)
    between its renames gets its newest trash copy back, else the prepared copy on its way in; a
    prepared copy left under the ``next`` name goes back to the spare's name (or is dropped). Returns
    what was done, in one line, or None."""
    done = None
    nxt, spare = next_name(name), spare_name(name)
    if not exists(conn, name):
        trash = trash_of(conn, name)
        source = trash[-1] if trash else (nxt if exists(conn, nxt) else None)
        if source is not None:
            _rename(conn, source, name)
            if source == nxt:
                conn.execute(sql.SQL("COMMENT ON DATABASE {} IS NULL").format(sql.Identifier(name)))
            step("repaired")
            done = f"{name} was missing (an earlier reset stopped between its renames): put back from {source}"
    if exists(conn, nxt):
        if exists(conn, spare):
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(nxt)))
        else:
            _rename(conn, nxt, spare)
    return done


def take_spare(conn: psycopg.Connection[Any], name: str) -> bool:
    """Move the prepared spare to the ``next`` name; False (nothing changed) when it is in use."""
    try:
        _rename(conn, spare_name(name), next_name(name))
    except psycopg.Error:
        return False
    return True


def clone_to_next(conn: psycopg.Connection[Any], name: str, template: str) -> bool:
    """A copy of the template under the ``next`` name; False (nothing made) when it cannot be made."""
    strategy = sql.SQL(" STRATEGY = FILE_COPY") if conn.info.server_version >= 150000 else sql.SQL("")
    try:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(next_name(name)), sql.Identifier(template), strategy
            )
        )
    except psycopg.Error:
        return False
    return True


def swap_in_next(conn: psycopg.Connection[Any], name: str, step: Step = _no_step) -> str | None:
    """Put the copy under the ``next`` name in place of ``name``: ``name`` to a trash name, then
    ``next`` to ``name``; on any failure the original is put back before raising (DatabaseError).
    Returns the trash name (for the background job to drop), None when there was no target."""
    nxt = next_name(name)
    trash: str | None = None
    if exists(conn, name):
        trash = trash_name(name)
        for attempt in range(3):  # a client reconnecting between the terminate and the rename
            _terminate(conn, name)
            try:
                _rename(conn, name, trash)
                break
            except psycopg.errors.ObjectInUse as exc:
                if attempt == 2:
                    raise DatabaseError(f"swapping in the prepared database: {name}: {_first(exc)}") from None
                time.sleep(0.05)
            except psycopg.Error as exc:
                raise DatabaseError(f"swapping in the prepared database: {name}: {_first(exc)}") from None
        step("target renamed")
    try:
        _rename(conn, nxt, name)
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS NULL").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        why = _first(exc)
        if trash is not None and not exists(conn, name):
            try:
                _rename(conn, trash, name)  # the original back before saying anything
            except psycopg.Error:
                pass  # the next reset puts it back (repair)
        raise DatabaseError(f"swapping in the prepared database: {why}") from None
    step("copy in place")
    return trash


def prepare_spare(admin: str, name: str, fingerprint: str, drop: list[str], wait: float = 60.0) -> None:
    """The reset's background job: drop the databases the reset handed over (its trash, found under
    its lock), then, under the reset lock, clone the template into the spare for the next reset."""
    from gtsd_tui.db import lock

    template, spare = template_name(name), spare_name(name)
    with connect(admin) as conn:
        for old in drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(old)))
        key = reset_lock_key(name)
        lock.acquire(conn, key, timeout=wait, what="reset lock")
        try:
            if not exists(conn, name):  # a reset died half-way: the next one repairs, we touch nothing
                return
            if template_fingerprint(conn, template) != fingerprint:
                return
            if spare_fingerprint(conn, spare) == fingerprint:
                return
            recreate(conn, spare, template=template)
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(spare), sql.Literal(SPARE_PREFIX + fingerprint)
                )
            )
        finally:
            lock.release_quietly(conn, key)
