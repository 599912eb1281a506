"""The tracking table ``"drizzle"."__drizzle_migrations"``: read it, create it as drizzle-orm does."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from gtsd_tui.core.migrations.status import HistoryRow
from gtsd_tui.db.status_sql import COLUMN_NAMES_SQL, TABLE_EXISTS_SQL, history_rows, rows_sql
from gtsd_tui.errors import DatabaseError


def table_ident(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def table_exists(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    return conn.execute(TABLE_EXISTS_SQL, (schema, table)).fetchone() is not None


def has_name_column(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s AND column_name = 'name'",
        (schema, table),
    ).fetchone()
    return row is not None


def column_names(conn: psycopg.Connection[Any], schema: str, table: str) -> set[str]:
    return {str(r[0]) for r in conn.execute(COLUMN_NAMES_SQL, (schema, table)).fetchall()}


def read_rows(conn: psycopg.Connection[Any], schema: str, table: str) -> list[HistoryRow]:
    """All rows ordered by id; an absent table means nothing applied. Read-only. The query and the
    decoding are ``status_sql``'s (shared with status's libpq reader)."""
    try:
        if not table_exists(conn, schema, table):
            return []
        cols = column_names(conn, schema, table)
        rows = conn.execute(rows_sql(schema, table, cols), binary=True).fetchall()  # half the decoding of text
    except psycopg.Error as exc:
        raise DatabaseError(f"reading {schema}.{table}: {str(exc).strip().splitlines()[0]}") from None
    return history_rows(rows, cols)


# The exact statements drizzle-orm sends (spec section 2.1), including the template's tabs.
def create_schema_sql(schema: str) -> sql.Composed:
    return sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))


def create_table_sql(schema: str, table: str) -> sql.Composed:
    return sql.SQL(
        "\n\t\t\tCREATE TABLE IF NOT EXISTS {} (\n\t\t\t\tid SERIAL PRIMARY KEY,\n\t\t\t\thash text NOT NULL,"
        "\n\t\t\t\tcreated_at bigint\n\t\t\t)\n\t\t"
    ).format(table_ident(schema, table))


def create_table_v1_sql(schema: str, table: str) -> sql.Composed:
    """drizzle-orm 1.0.0-rc.5's table (``pg-core/async/session.js``), template whitespace included."""
    return sql.SQL(
        "\n\t\t\tCREATE TABLE IF NOT EXISTS {} (\n\t\t\t\tid SERIAL PRIMARY KEY,\n\t\t\t\thash text NOT NULL,"
        "\n\t\t\t\tcreated_at bigint,\n\t\t\t\tname text,\n\t\t\t\tapplied_at timestamp with time zone DEFAULT now()"
        "\n\t\t\t)\n\t\t"
    ).format(table_ident(schema, table))


def ensure_table(conn: psycopg.Connection[Any], schema: str, table: str, *, v1: bool = False) -> None:
    """Create the schema (only if ``pg_namespace`` lacks it) and the table, outside any transaction."""
    exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if exists is None:
        conn.execute(create_schema_sql(schema))
    if not table_exists(conn, schema, table):
        conn.execute(create_table_v1_sql(schema, table) if v1 else create_table_sql(schema, table))


def _columns(name: str | None) -> sql.SQL:
    return sql.SQL('("hash", "created_at", "name")' if name is not None else '("hash", "created_at")')


def insert_row_sql(schema: str, table: str, name: str | None = None) -> sql.Composed:
    values = sql.SQL("%s, %s, %s" if name is not None else "%s, %s")
    return sql.SQL("insert into {} {} values({})").format(table_ident(schema, table), _columns(name), values)


def insert_row_literal(schema: str, table: str, hash_: str, when: int, name: str | None = None) -> sql.Composed:
    """The same row with the values inlined (for the simple protocol): ``created_at`` stores the same bigint."""
    values = [sql.Literal(hash_), sql.Literal(int(when))] + ([sql.Literal(name)] if name is not None else [])
    return sql.SQL("insert into {} {} values({})").format(
        table_ident(schema, table), _columns(name), sql.SQL(", ").join(values)
    )


def upgrade_statements(schema: str, table: str, names: list[tuple[int, str]]) -> list[sql.Composed]:
    """drizzle-orm 1.0's ``upToV1`` statements: two columns, then each row's name (``applied_at`` NULL)."""
    t = table_ident(schema, table)
    out = [
        sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} text").format(t, sql.Identifier("name")),
        sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} timestamp with time zone DEFAULT now()").format(
            t, sql.Identifier("applied_at")
        ),
    ]
    for row_id, name in names:
        out.append(
            sql.SQL("UPDATE {} SET {} = {}, {} = NULL WHERE {} = {}").format(
                t,
                sql.Identifier("name"),
                sql.Literal(name),
                sql.Identifier("applied_at"),
                sql.Identifier("id"),
                sql.Literal(row_id),
            )
        )
    return out


def no_table_but_tracking(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    """True when the database holds no table, partitioned table, materialized view or foreign table
    outside the system schemas but drizzle's tracking table: no statement can meet a row there.
    False when the catalog cannot be read (the caller then checks as usual)."""
    try:
        row = conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p', 'm', 'f') AND n.nspname <> 'information_schema'"
            " AND n.nspname NOT LIKE 'pg\\_%%' AND c.oid IS DISTINCT FROM to_regclass(%s))",
            (table_ident(schema, table).as_string(conn),),
        ).fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])
