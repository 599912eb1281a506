"""Baseline's write: the tracking table as drizzle-orm creates it, then its rows in one transaction."""

from __future__ import annotations

from typing import Any

import psycopg

from gtsd_tui.db.history import ensure_table, insert_row_sql
from gtsd_tui.errors import DatabaseError


def write_rows(
    conn: psycopg.Connection[Any], schema: str, table: str, rows: list[tuple[str, int, str | None]], *, v1: bool
) -> None:
    """``rows`` = (hash, created_at, name or None), inserted in order with drizzle-orm's own statement.

    The caller holds the migration lock; the connection is in autocommit (the table is created outside
    the transaction, as drizzle-orm does)."""
    try:
        ensure_table(conn, schema, table, v1=v1)
        with conn.transaction():
            for hash_, when, name in rows:
                params: tuple[object, ...] = (hash_, str(when)) + ((name,) if name is not None else ())
                conn.execute(insert_row_sql(schema, table, name), params)
    except psycopg.Error as exc:
        raise DatabaseError(f"writing {schema}.{table}: {str(exc).strip().splitlines()[0]}") from None
