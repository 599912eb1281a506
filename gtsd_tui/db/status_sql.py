"""The queries ``status`` reads the database side with, and how their rows are decoded: one text and
one decoding for both drivers (psycopg in ``history.py`` and ``probe.py``, the bundled libpq in
``status_lite.py``). No psycopg here: the queries are written for psycopg (``%s``) and numbered for
libpq by :func:`gtsd_tui.db.libpq_lite.numbered`; identifiers are quoted as ``PQescapeIdentifier``
quotes them. The fingerprint's query is ``drift_catalog.FINGERPRINT_SQL``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from gtsd_tui.core.migrations.status import HistoryRow

TABLE_EXISTS_SQL = (
    "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v')"
)
COLUMN_NAMES_SQL = (
    "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname = %s AND c.relname = %s"
)
INVALID_INDEXES_SQL = (
    "SELECT n.nspname, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid "
    "AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1, 2"
)

# type oids whose text form decodes to the value psycopg gives (the libpq reader refuses any other)
INTS = frozenset({20, 21, 23})  # int8, int2, int4
TEXTS = frozenset({25, 1043, 19, 1042})  # text, varchar, name, bpchar
ROW_TYPES = (INTS, TEXTS, INTS, TEXTS, INTS)  # id, hash, created_at, name, applied_at
NAME_TYPES = (TEXTS,)
INVALID_TYPES = (TEXTS, TEXTS)
FINGERPRINT_TYPES = (TEXTS,)


def quote_ident(name: str) -> str:
    """``"name"``, inner quotes doubled (what ``PQescapeIdentifier`` and psycopg's ``sql.Identifier`` write)."""
    return '"' + name.replace('"', '""') + '"'


def rows_sql(schema: str, table: str, columns: set[str]) -> str:
    """The tracking rows ordered by id: id, hash, created_at, name (NULL in a v0 table), applied_at in
    ms as a bigint (NULL without the column)."""
    name = ", name" if "name" in columns else ", NULL::text"
    applied = ", (extract(epoch from applied_at) * 1000)::bigint" if "applied_at" in columns else ", NULL::bigint"
    return f"SELECT id, hash, created_at{name}{applied} FROM {quote_ident(schema)}.{quote_ident(table)} ORDER BY id"


def history_rows(rows: Iterable[Sequence[Any]], columns: set[str]) -> list[HistoryRow]:
    """:func:`rows_sql`'s rows (psycopg's values or libpq's text) as HistoryRow; rows of a table without
    ``name`` (drizzle v0's) are marked ``legacy``: a v1 folder's status reads them as drizzle-orm 1.0
    will after its upgrade."""
    legacy = "name" not in columns
    return [
        HistoryRow(
            int(r[0]),
            str(r[1]),
            None if r[2] is None else int(r[2]),
            None if r[3] is None else str(r[3]),
            None if r[4] is None else int(r[4]),
            legacy,
        )
        for r in rows
    ]


def invalid_list(rows: Iterable[Sequence[Any]]) -> list[tuple[str, str]]:
    return [(str(s), str(n)) for s, n in rows]


def fingerprint_of(row: Sequence[Any] | None) -> str:
    return str(row[0]) if row else ""
