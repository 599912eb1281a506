"""Database-level operations for local resets: drop, create, clone from a template."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from gtsd_tui.db.clone_sql import ADMIN_DB
from gtsd_tui.db.connect import connect
from gtsd_tui.errors import DatabaseError

TEMPLATE_SUFFIX = "__gtsd_template"
COMMENT_PREFIX = "gtsd-tui template "


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


SPARE_SUFFIX = "__gtsd_spare"
TRASH_SUFFIX = "__gtsd_trash"
SPARE_PREFIX = "gtsd-tui spare "


def spare_fingerprint(conn: psycopg.Connection[Any], spare: str) -> str | None:
    return _label(conn, spare, SPARE_PREFIX)


def swap_in_spare(conn: psycopg.Connection[Any], name: str, spare: str) -> str:
    """Put the prepared spare in place of ``name`` with two renames; returns the trash name to drop later."""
    trash = f"{name}{TRASH_SUFFIX}_{conn.info.backend_pid}"[:63]
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
    )
    try:
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(name), sql.Identifier(trash)))
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(spare), sql.Identifier(name)))
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS NULL").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise DatabaseError(f"swapping in the prepared database: {str(exc).strip().splitlines()[0]}") from None
    return trash


def prepare_spare(admin: str, name: str, fingerprint: str) -> None:
    """Drop old trash and clone the template into a spare for the next reset (run in the background)."""
    template, spare = (name + TEMPLATE_SUFFIX)[:63], (name + SPARE_SUFFIX)[:63]
    with connect(admin) as conn:
        trash = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (name.replace("_", "\\_") + TRASH_SUFFIX.replace("_", "\\_") + "%",),
        ).fetchall()
        for (old,) in trash:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(old)))
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
