"""Rows of the tracking table for ``forget``: count and delete one migration's rows (hash, created_at)."""

from __future__ import annotations

from gtsd_tui.services.project import Project


def count_rows(project: Project, hash_: str, when: int) -> int:
    from psycopg import sql

    from gtsd_tui.db.history import table_exists, table_ident

    s = project.settings
    with project.connect() as conn:
        if not table_exists(conn, s.schema, s.table):
            return 0  # no tracking table yet: nothing to forget
        query = sql.SQL("SELECT count(*) FROM {} WHERE hash = %s AND created_at = %s").format(
            table_ident(s.schema, s.table)
        )
        row = conn.execute(query, (hash_, when)).fetchone()
    return int(row[0]) if row else 0


def delete_rows(project: Project, hash_: str, when: int) -> None:
    from psycopg import sql

    from gtsd_tui.db.history import table_ident

    s = project.settings
    with project.connect() as conn:
        query = sql.SQL("DELETE FROM {} WHERE hash = %s AND created_at = %s").format(table_ident(s.schema, s.table))
        conn.execute(query, (hash_, when))
