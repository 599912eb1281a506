"""Catalog reads for ``fleet``: the databases of a server matching a pattern; a URL for another database."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from gtsd_tui.db.connect import first_line
from gtsd_tui.errors import DatabaseError


def list_databases_like(conn: psycopg.Connection[Any], pattern: str) -> list[str]:
    """Names ``LIKE pattern`` from ``pg_database``, templates and databases refusing connections left out."""
    try:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND NOT datistemplate AND datallowconn "
            'ORDER BY datname COLLATE "C"',
            (pattern,),
        ).fetchall()
    except psycopg.Error as exc:
        raise DatabaseError(f"reading pg_database: {first_line(None, exc)}") from None
    return [str(r[0]) for r in rows]


def with_dbname(url: str, dbname: str) -> str:
    """The same server and credentials, database ``dbname`` (a URL stays a URL; a key=value DSN stays one)."""
    if "://" in url:
        parts = urlsplit(url)
        query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("dbname="))
        return urlunsplit(parts._replace(path="/" + quote(dbname, safe=""), query=query))
    params = {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(url).items() if v is not None}
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)
