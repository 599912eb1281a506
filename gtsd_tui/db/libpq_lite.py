"""The libpq that psycopg[binary] ships, driven with ctypes, before (or without) importing psycopg.

Importing psycopg costs 0.15-0.3 s of CPU (importlib.metadata, ssl, asyncio, its own pq wrapper);
the few calls a short read or a template copy needs are cheaper through the same library loaded
with ctypes: :func:`bundled_libpq` finds it without importing psycopg. Users: the rehearsal's early
template copy (``early_copy.py``), the quick reset (``quick_reset.py``) and ``status``'s read of the
database side (``status_lite.py``).

Nothing here raises on a failed connection or query, and nothing shows libpq's messages (they may
hold a password): a failure is ``None``, and the caller goes the ordinary way (psycopg), which words
what went wrong. One exception, :meth:`Libpq.attempt`: a connection no server answered (a timeout, a
refusal, a host name that does not resolve) is :class:`Unreached`, holding the text psycopg's
connect gives the same attempt, which the caller words through ``conn_words.describe_error`` (the
password masked) instead of waiting for the same host again.

No prepared statements (``PQexec``, and ``PQexecParams`` with the unnamed statement): it works
behind PgBouncer's transaction pooling.
"""

from __future__ import annotations

import ctypes
import os
import re
import select
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "gtsd-tui"  # the application_name of our connections (psycopg's too: db/connect.py)
CONNECT_TIMEOUT = 5  # seconds (psycopg's connections too)

_OK, _BAD = 0, 1  # CONNECTION_OK, CONNECTION_BAD
# before any server answered: CONNECTION_BAD, _STARTED (the TCP connect under way), _NEEDED (the next address)
_UNREACHED = frozenset({1, 2, 8})
_POLL_FAILED, _POLL_READING, _POLL_WRITING, _POLL_OK = 0, 1, 2, 3  # PostgresPollingStatusType
# libpq's environment variables for the parameters psycopg's connect reads itself (psycopg.conninfo)
_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
}
_COMMAND_OK, _TUPLES_OK = 1, 2  # PGRES_COMMAND_OK, PGRES_TUPLES_OK

Rows = list[list[str | None]]


@dataclass(frozen=True)
class Unreached:
    """A connection no server answered (timed out, refused, no route, a host name that does not
    resolve), in the words psycopg's ``connect`` gives the same single attempt (its exception's text):
    final, psycopg would only wait for the same host again."""

    text: str


class _Option(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes' own declaration (PQconninfoOption)
        ("keyword", ctypes.c_char_p),
        ("envvar", ctypes.c_char_p),
        ("compiled", ctypes.c_char_p),
        ("val", ctypes.c_char_p),
        ("label", ctypes.c_char_p),
        ("dispchar", ctypes.c_char_p),
        ("dispsize", ctypes.c_int),
    ]


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
            ("PQconnectStartParams", p, [strings, strings, i]),
            ("PQconnectPoll", i, [p]),
            ("PQsocket", i, [p]),
            ("PQerrorMessage", p, [p]),
            ("PQconninfoParse", ctypes.POINTER(_Option), [s, ctypes.POINTER(p)]),
            ("PQconninfoFree", None, [ctypes.POINTER(_Option)]),
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

    def attempt(
        self,
        url: str,
        dbname: str | None = None,
        *,
        application_name: str = APP_NAME,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> int | Unreached | None:
        """:meth:`connect` (on ``dbname`` if given), made as psycopg's ``connect`` makes it: the
        attempts of ``_attempts`` (each host, each address of a host name) one after the other, each
        libpq's non-blocking connect polled under its own deadline of psycopg's timeout. A session;
        :class:`Unreached` when no server answered any attempt (psycopg's words for the last, the first
        line of its message); None at any doubt: a server answered and refused (a password, a
        database: psycopg words it), a URL libpq does not parse. Where psycopg would not try the same
        attempts in the same order (``prefer-standby``, ``load_balance_hosts=random``), :meth:`connect`."""
        try:
            params = self.conninfo(url)
        except UnicodeError:
            return None
        if params is None:
            return None
        plan = _attempts(params)
        if plan is None:
            return self.connect(url, dbname, application_name=application_name, connect_timeout=connect_timeout)
        if isinstance(plan, Unreached):
            return plan
        fixed: list[tuple[str, str]] = [("dbname", url)] + ([("dbname", dbname)] if dbname is not None else [])
        timeout = max(1, int(connect_timeout))
        last: Unreached | None = None
        for over in plan:
            pairs = [*fixed, *over.items(), ("application_name", application_name), ("connect_timeout", str(timeout))]
            got = self._start(pairs, max(2, timeout))  # psycopg's timeout_from_conninfo: 2 s at least
            if not isinstance(got, Unreached):
                return got
            last = got
        return last

    def _start(self, pairs: list[tuple[str, str]], timeout: int) -> int | Unreached | None:
        keys = [k.encode() for k, _ in pairs] + [None]
        values = [v.encode() for _, v in pairs] + [None]
        n = len(keys)
        conn = self.lib.PQconnectStartParams((ctypes.c_char_p * n)(*keys), (ctypes.c_char_p * n)(*values), 1)
        if not conn:
            return None
        got = self._poll(conn, time.monotonic() + timeout)
        if not isinstance(got, int):
            self.lib.PQfinish(conn)
        return got

    def _poll(self, conn: int, deadline: float) -> int | Unreached | None:
        """psycopg's ``generators.connect`` loop over ``waiting.wait_conn``: its words for each end."""
        reached = False
        while True:
            if self.lib.PQstatus(conn) == _BAD:
                return None if reached else Unreached("connection is bad: " + self._message(conn))
            polled = self.lib.PQconnectPoll(conn)
            reached = reached or self.lib.PQstatus(conn) not in _UNREACHED
            if polled == _POLL_OK:
                return conn
            if polled == _POLL_FAILED:
                return None if reached else Unreached("connection failed: " + self._message(conn))
            if polled not in (_POLL_READING, _POLL_WRITING):
                return None
            waiter = select.poll()
            waiter.register(self.lib.PQsocket(conn), select.POLLIN if polled == _POLL_READING else select.POLLOUT)
            while not waiter.poll(max(0.0, deadline - time.monotonic()) * 1000):
                if time.monotonic() >= deadline:
                    return Unreached("connection timeout expired")

    def _message(self, conn: int) -> str:
        """libpq's message for a connection no server answered (kept only to be worded as psycopg
        words it, through ``conn_words.describe_error``, which masks the URL's password)."""
        raw = ctypes.string_at(self.lib.PQerrorMessage(conn))
        return raw.decode("utf-8", "replace") or "no error details available"

    def conninfo(self, url: str) -> dict[str, str] | None:
        """``url`` as libpq parses it (no defaults, no network), as psycopg's ``conninfo_to_dict``;
        None when malformed. UnicodeError for a value that is not UTF-8."""
        err = ctypes.c_void_p()
        opts = self.lib.PQconninfoParse(url.encode(), ctypes.byref(err))
        if err.value:
            self.lib.PQfreemem(err)  # the message may hold the password: psycopg's parse words it
        if not opts:
            return None
        try:
            out: dict[str, str] = {}
            i = 0
            while opts[i].keyword is not None:
                if opts[i].val is not None:
                    out[opts[i].keyword.decode()] = opts[i].val.decode()
                i += 1
            return out
        finally:
            self.lib.PQconninfoFree(opts)

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


def _param(params: Mapping[str, str], name: str) -> str | None:
    """psycopg's ``get_param``: the URL's value, else its environment variable's."""
    return params[name] if name in params else os.environ.get(_ENV[name])


def _attempts(params: Mapping[str, str]) -> list[dict[str, str]] | Unreached | None:
    """psycopg's ``conninfo_attempts``: the parameters each attempt overrides (a host of a list, the
    address a host name resolved to as ``hostaddr``), in order; :class:`Unreached` in its words when
    no host name resolved; None where it would not keep this order (``prefer-standby``, random
    load balancing) or names the mismatch itself (host and port lists of other lengths)."""
    if _param(params, "target_session_attrs") == "prefer-standby":
        return None
    if _param(params, "load_balance_hosts") == "random":
        return None
    split = _split(params)
    if split is None:
        return None
    found: list[dict[str, str]] = []
    last: Unreached | None = None
    for over in split:
        got = _resolved({**params, **over}, over)
        if isinstance(got, Unreached):
            last = got
        else:
            found += got
    return found or last


def _split(params: Mapping[str, str]) -> list[dict[str, str]] | None:
    """psycopg's ``split_attempts``: one override per host of a list (its hostaddr, its port)."""
    hosts, addrs, ports = ((_param(params, k) or "").split(",") for k in ("host", "hostaddr", "port"))
    hosts, addrs, ports = (v if v != [""] else [] for v in (hosts, addrs, ports))
    count = max(len(hosts), len(addrs))
    if (hosts and addrs and len(hosts) != len(addrs)) or 1 < len(ports) != count:
        return None
    if count <= 1:
        return [{}]
    ports = ports * count if len(ports) == 1 else ports
    return [{k: v[i] for k, v in (("host", hosts), ("hostaddr", addrs), ("port", ports)) if v} for i in range(count)]


def _resolved(params: Mapping[str, str], over: dict[str, str]) -> list[dict[str, str]] | Unreached:
    """psycopg's ``_resolve_hostnames``: a host name's addresses, each an attempt (``hostaddr``);
    :class:`Unreached` in its words when it does not resolve."""
    host = _param(params, "host")
    if not host or host.startswith("/") or host[1:2] == ":" or _param(params, "hostaddr"):
        return [over]
    import ipaddress  # urllib.parse's already; socket (about 3 ms) only for a host name

    try:
        ipaddress.ip_address(host)
        return [{**over, "hostaddr": host}]
    except ValueError:
        pass
    import socket

    try:
        found = socket.getaddrinfo(
            host, _param(params, "port") or "5432", proto=socket.IPPROTO_TCP, type=socket.SOCK_STREAM
        )
    except OSError as ex:
        return Unreached(f"failed to resolve host {host!r}: {ex}")
    return [{**over, "hostaddr": str(a[4][0])} for a in found]
