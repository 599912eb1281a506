"""The schema as a catalog read: tables, columns, indexes, constraints, enums, views, functions.

Each kind maps an object's qualified name to a text that changes exactly when the object does
(PostgreSQL's own ``pg_get_*def`` renderings), so two reads compare with plain equality.
"""

from __future__ import annotations

from typing import Any

import psycopg

_USER = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
_NOT_EXT = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"

_QUERIES = {
    "table": (
        "SELECT n.nspname || '.' || c.relname, CASE c.relkind WHEN 'p' THEN 'partitioned table' ELSE 'table' END "
        f"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND {_USER} "
        f"AND {_NOT_EXT.format(oid='c.oid')}"
    ),
    "column": (
        "SELECT n.nspname || '.' || c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod) "
        "|| CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END "
        "|| coalesce(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), '') "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
        f"WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm') AND {_USER} "
        f"AND {_NOT_EXT.format(oid='c.oid')}"
    ),
    "index": (
        "SELECT n.nspname || '.' || c.relname, pg_get_indexdef(i.indexrelid) "
        "|| CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END FROM pg_index i "
        f"JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER} "
        f"AND {_NOT_EXT.format(oid='i.indrelid')}"
    ),
    "constraint": (
        "SELECT n.nspname || '.' || cl.relname || '.' || co.conname, pg_get_constraintdef(co.oid) "
        "FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace "
        f"WHERE {_USER} AND {_NOT_EXT.format(oid='cl.oid')}"
    ),
    "enum": (
        "SELECT n.nspname || '.' || t.typname, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) "
        "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
        f"WHERE {_USER} GROUP BY 1"
    ),
    "view": (
        "SELECT n.nspname || '.' || c.relname, pg_get_viewdef(c.oid) FROM pg_class c "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND {_USER} "
        f"AND {_NOT_EXT.format(oid='c.oid')}"
    ),
    "function": (
        "SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
        "pg_get_function_result(p.oid) || ' ' || md5(coalesce(p.prosrc, '')) FROM pg_proc p "
        f"JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {_USER} AND {_NOT_EXT.format(oid='p.oid')}"
    ),
}

KINDS = tuple(_QUERIES)

Catalog = dict[str, dict[str, str]]


def read_catalog(conn: psycopg.Connection[Any], *, skip_table: str | None = None) -> Catalog:
    """Every kind's objects in one round trip; ``skip_table`` (``schema.table``, the tracking table) and
    its parts are left out."""
    union = " UNION ALL ".join(
        f"SELECT '{kind}', k, v FROM ({query}) AS q{i}(k, v)" for i, (kind, query) in enumerate(_QUERIES.items())
    )
    out: Catalog = {kind: {} for kind in _QUERIES}
    for kind, k, v in conn.execute(union, prepare=False).fetchall():
        if not (skip_table and (k == skip_table or str(k).startswith(skip_table + "."))):
            out[str(kind)][str(k)] = str(v)
    if skip_table:  # the tracking table's primary key and its id sequence are ours, not the project's
        out["index"] = {k: v for k, v in out["index"].items() if f" ON {_quoted(skip_table)} " not in v}
    return out


def read_catalog_unless_broken(conn: psycopg.Connection[Any], *, skip_table: str | None = None) -> Catalog | None:
    """:func:`read_catalog`, or None when the connection fails (the caller reads on a new one)."""
    try:
        return read_catalog(conn, skip_table=skip_table)
    except psycopg.Error:
        return None


def _quoted(name: str) -> str:
    schema, _, table = name.partition(".")
    return f"{schema}.{table}"
