"""The tracking table ``"drizzle"."__drizzle_migrations"``: read it, create it as drizzle-orm does."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from gtsd_tui.core.status import HistoryRow
from gtsd_tui.errors import DatabaseError


def table_ident(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def table_exists(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v')",
        (schema, table),
    ).fetchone()
    return row is not None


def has_name_column(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s AND column_name = 'name'",
        (schema, table),
    ).fetchone()
    return row is not None


def read_rows(conn: psycopg.Connection[Any], schema: str, table: str) -> list[HistoryRow]:
    """All rows ordered by id; an absent table means nothing applied. Read-only."""
    try:
        if not table_exists(conn, schema, table):
            return []
        name = sql.SQL(", name") if has_name_column(conn, schema, table) else sql.SQL(", NULL::text")
        query = sql.SQL("SELECT id, hash, created_at{} FROM {} ORDER BY id").format(name, table_ident(schema, table))
        rows = conn.execute(query).fetchall()
    except psycopg.Error as exc:
        raise DatabaseError(f"reading {schema}.{table}: {str(exc).strip().splitlines()[0]}") from None
    return [HistoryRow(int(r[0]), str(r[1]), None if r[2] is None else int(r[2]), r[3]) for r in rows]


# The exact statements drizzle-orm sends (spec section 2.1), including the template's tabs.
def create_schema_sql(schema: str) -> sql.Composed:
    return sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))


def create_table_sql(schema: str, table: str) -> sql.Composed:
    return sql.SQL(
        "\n\t\t\tCREATE TABLE IF NOT EXISTS {} (\n\t\t\t\tid SERIAL PRIMARY KEY,\n\t\t\t\thash text NOT NULL,"
        "\n\t\t\t\tcreated_at bigint\n\t\t\t)\n\t\t"
    ).format(table_ident(schema, table))


def ensure_table(conn: psycopg.Connection[Any], schema: str, table: str) -> None:
    """Create the schema (only if ``pg_namespace`` lacks it) and the table, outside any transaction."""
    exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if exists is None:
        conn.execute(create_schema_sql(schema))
    if not table_exists(conn, schema, table):
        conn.execute(create_table_sql(schema, table))


def insert_row_sql(schema: str, table: str) -> sql.Composed:
    return sql.SQL('insert into {} ("hash", "created_at") values(%s, %s)').format(table_ident(schema, table))


def insert_row_literal(schema: str, table: str, hash_: str, when: int) -> sql.Composed:
    """The same row with the values inlined (for the simple protocol): ``created_at`` stores the same bigint."""
    return sql.SQL('insert into {} ("hash", "created_at") values({}, {})').format(
        table_ident(schema, table), sql.Literal(hash_), sql.Literal(int(when))
    )
