"""Rows of the tracking table for ``forget``: count and delete one migration's rows.

A v0 migration's rows are matched by (hash, created_at), as drizzle-orm 0.x decides what is applied;
a v1 migration's by ``name`` when the table has that column, as drizzle-orm 1.0 decides it (an edited
v1 file has a new hash, and its old row still marks it applied)."""

from __future__ import annotations

from typing import Any

from gtsd_tui.services.project import Project


def _where(conn: Any, project: Project, hash_: str, when: int, name: str | None) -> tuple[Any, tuple[object, ...]]:
    from psycopg import sql

    from gtsd_tui.db.history import has_name_column

    s = project.settings
    if name is not None and has_name_column(conn, s.schema, s.table):
        return sql.SQL("name = %s"), (name,)
    return sql.SQL("hash = %s AND created_at = %s"), (hash_, when)


def count_rows(project: Project, hash_: str, when: int, name: str | None = None) -> int:
    from psycopg import sql

    from gtsd_tui.db.history import table_exists, table_ident

    s = project.settings
    with project.connect() as conn:
        if not table_exists(conn, s.schema, s.table):
            return 0  # no tracking table yet: nothing to forget
        where, params = _where(conn, project, hash_, when, name)
        query = sql.SQL("SELECT count(*) FROM {} WHERE ").format(table_ident(s.schema, s.table)) + where
        row = conn.execute(query, params).fetchone()
    return int(row[0]) if row else 0


def delete_rows(project: Project, hash_: str, when: int, name: str | None = None) -> None:
    from psycopg import sql

    from gtsd_tui.db.history import table_ident

    s = project.settings
    with project.connect() as conn:
        where, params = _where(conn, project, hash_, when, name)
        conn.execute(sql.SQL("DELETE FROM {} WHERE ").format(table_ident(s.schema, s.table)) + where, params)
