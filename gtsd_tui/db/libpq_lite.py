"""The libpq that psycopg[binary] ships, driven with ctypes, before (or without) importing psycopg.

Importing psycopg costs 0.15-0.3 s of CPU (importlib.metadata, ssl, asyncio, its own pq wrapper);
the few calls a short read or a template copy needs are cheaper through the same library loaded
with ctypes: :func:`bundled_libpq` finds it without importing psycopg. Users: the rehearsal's early
template copy (``early_copy.py``), the quick reset (``quick_reset.py``) and ``status``'s read of the
database side (``status_lite.py``).

Nothing here raises on a failed connection or query, and nothing keeps or shows libpq's messages
(they may hold a password): a failure is ``None``, and the caller goes the ordinary way (psycopg),
which words what went wrong. No prepared statements (``PQexec``, and ``PQexecParams`` with the
unnamed statement): it works behind PgBouncer's transaction pooling.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

APP_NAME = "gtsd-tui"  # the application_name of our connections (psycopg's too: db/connect.py)
CONNECT_TIMEOUT = 5  # seconds (psycopg's connections too)

_OK = 0  # CONNECTION_OK
_COMMAND_OK, _TUPLES_OK = 1, 2  # PGRES_COMMAND_OK, PGRES_TUPLES_OK

Rows = list[list[str | None]]


def bundled_libpq() -> str | None:
    """The libpq shipped inside psycopg[binary] (Linux, macOS, Windows wheels), found without importing it."""
    from importlib.util import find_spec

    try:
        spec = find_spec("psycopg_binary")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(next(iter(spec.submodule_search_locations)))
    for where in (pkg.parent / "psycopg_binary.libs", pkg / ".dylibs"):
        for pattern in ("libpq*.so*", "libpq*.dylib", "libpq*.dll"):
            found = sorted(where.glob(pattern))
            if found:
                return str(found[0])
    return None


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


def numbered(query: str, params: Sequence[object] | Mapping[str, object]) -> tuple[str, list[object]]:
    """A query written for psycopg (``%s``, ``%(name)s``, ``%%``) as libpq takes it (``$1``...), with its
    values in order: one text for both drivers. (psycopg reads placeholders only when given params.)"""
    values: list[object] = []
    seen: dict[str, int] = {}
    named: Mapping[str, object] = params if isinstance(params, Mapping) else {}
    positional = iter(()) if isinstance(params, Mapping) else iter(params)

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        if m.group(1) is None:
            values.append(next(positional))
            return f"${len(values)}"
        name = m.group(1)
        if name not in seen:
            values.append(named[name])
            seen[name] = len(values)
        return f"${seen[name]}"

    return _PLACEHOLDER.sub(sub, query), values


class Libpq:
    """The few libpq calls a copy, a swap or a short read needs (ctypes releases the GIL around each)."""

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        p, s, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        strings = ctypes.POINTER(ctypes.c_char_p)
        for name, res, args in (
            ("PQconnectdbParams", p, [strings, strings, i]),
            ("PQstatus", i, [p]),
            ("PQfinish", None, [p]),
            ("PQparameterStatus", s, [p, s]),
            ("PQexec", p, [p, s]),
            ("PQexecParams", p, [p, s, i, p, strings, p, p, i]),
            ("PQresultStatus", i, [p]),
            ("PQntuples", i, [p]),
            ("PQnfields", i, [p]),
            ("PQftype", ctypes.c_uint, [p, i]),
            ("PQgetvalue", s, [p, i, i]),
            ("PQgetisnull", i, [p, i, i]),
            ("PQclear", None, [p]),
            ("PQescapeIdentifier", p, [p, s, ctypes.c_size_t]),
            ("PQescapeLiteral", p, [p, s, ctypes.c_size_t]),
            ("PQfreemem", None, [p]),
        ):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        self.lib = lib

    def connect(
        self,
        url: str,
        dbname: str | None = None,
        *,
        application_name: str = APP_NAME,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> int | None:
        """A session on the server ``url`` names (its user, password, TLS settings), on ``dbname`` if
        given, else on the URL's database. ``application_name`` and ``connect_timeout`` override the
        URL's, as psycopg's keyword arguments do (``db/connect.py``)."""
        keys: list[bytes | None] = [b"dbname"]
        values: list[bytes | None] = [url.encode()]
        if dbname is not None:
            keys.append(b"dbname")
            values.append(dbname.encode())
        keys += [b"application_name", b"connect_timeout", None]
        values += [application_name.encode(), str(max(1, int(connect_timeout))).encode(), None]
        n = len(keys)
        conn = self.lib.PQconnectdbParams((ctypes.c_char_p * n)(*keys), (ctypes.c_char_p * n)(*values), 1)
        if conn and self.lib.PQstatus(conn) == _OK:
            return int(conn)
        if conn:
            self.lib.PQfinish(conn)
        return None

    def finish(self, conn: int) -> None:
        self.lib.PQfinish(conn)

    def setting(self, conn: int, name: str) -> str | None:
        """A parameter the server reported (``client_encoding``, ``server_version``...)."""
        got = self.lib.PQparameterStatus(conn, name.encode())
        return None if got is None else got.decode()

    def quoted(self, conn: int, text: str, *, literal: bool) -> str | None:
        raw = text.encode()
        escape = self.lib.PQescapeLiteral if literal else self.lib.PQescapeIdentifier
        ptr = escape(conn, raw, len(raw))
        if not ptr:
            return None
        try:
            return ctypes.string_at(ptr).decode()
        finally:
            self.lib.PQfreemem(ptr)

    def run(self, conn: int, query: str) -> list[str | None] | None:
        """The first row of ``query`` ([] for a command), or None when it failed."""
        res = self.lib.PQexec(conn, query.encode())
        try:
            status = self.lib.PQresultStatus(res) if res else -1
            if status == _COMMAND_OK:
                return []
            if status != _TUPLES_OK or self.lib.PQntuples(res) < 1:
                return None
            cells = [self.lib.PQgetvalue(res, 0, i) for i in range(self.lib.PQnfields(res))]
            return [None if v is None else v.decode() for v in cells]
        finally:
            if res:
                self.lib.PQclear(res)

    def query(
        self,
        conn: int,
        query: str,
        params: Sequence[str] = (),
        *,
        types: Sequence[frozenset[int]] | None = None,
    ) -> Rows | None:
        """Every row of ``query`` in text form (NULL as None), its ``$n`` given ``params`` as text (the
        unnamed statement: nothing prepared); None when it failed, returned no rows' shape, or a column's
        type oid is not among ``types`` (one set per column, the width checked too)."""
        n = len(params)
        values = (ctypes.c_char_p * max(1, n))(*[p.encode() for p in params])
        res = self.lib.PQexecParams(conn, query.encode(), n, None, values, None, None, 0)
        if not res:
            return None
        try:
            if self.lib.PQresultStatus(res) != _TUPLES_OK:
                return None
            width = self.lib.PQnfields(res)
            if types is not None and (
                width != len(types) or any(self.lib.PQftype(res, c) not in types[c] for c in range(width))
            ):
                return None
            return self._cells(ctypes.c_void_p(res), self.lib.PQntuples(res), width)
        finally:
            self.lib.PQclear(res)

    def _cells(self, res: ctypes.c_void_p, height: int, width: int) -> Rows:
        """Every cell as text (NULL as None). Two ctypes calls per cell were most of a read of 4,000
        rows: NULL is asked only of an empty value (libpq gives "" for NULL)."""
        value, isnull = self.lib.PQgetvalue, self.lib.PQgetisnull
        columns = range(width)
        return [
            [v.decode() if (v := value(res, r, c)) or not isnull(res, r, c) else None for c in columns]
            for r in range(height)
        ]
