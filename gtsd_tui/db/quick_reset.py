"""A reset with unchanged migrations, before this process has imported psycopg.

A reset whose prepared spare is ready is two renames on the server (tens of milliseconds); importing
psycopg costs 0.2-0.4 s on this machine, most of such a reset. Through the libpq that psycopg[binary]
ships (found without importing it, :func:`gtsd_tui.db.libpq_lite.bundled_libpq`) this module does
that swap with the same statements, under the same lock, in the same order and telling the same
steps as :func:`gtsd_tui.db.admin.swap_in_next` (the crash tests' kill hook stops it after each).

Only the plain case: the lock free at once, the role allowed to create databases, the target there,
no ``next`` copy left over, a spare labelled with the wanted fingerprint. Anything else, or any
failure, gives None and the ordinary path (psycopg) carries on from the state left behind: it waits
for the lock, repairs (a target renamed away is put back from its newest trash copy, a copy left
under ``next`` goes back to the spare), and says what went wrong. Nothing here raises or prints:
messages from libpq may hold a password.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from gtsd_tui.db.clone_sql import ADMIN_DB
from gtsd_tui.db.libpq_lite import Libpq as _Libpq
from gtsd_tui.db.libpq_lite import Unreached, bundled_libpq
from gtsd_tui.db.reset_sql import (
    BRANCH_LABEL,
    SPARE_PREFIX,
    next_name,
    reset_lock_key,
    spare_name,
    trash_among,
    trash_like,
    trash_name,
)

Step = Callable[[str], None]
Rows = list[list[str | None]]
_COMMAND_OK, _TUPLES_OK = 1, 2
_SQLSTATE = ord("C")  # PG_DIAG_SQLSTATE
_OBJECT_IN_USE = "55006"


class _Pq(_Libpq):
    """:class:`~gtsd_tui.db.libpq_lite.Libpq` and the calls a swap needs besides."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        p, s = ctypes.c_void_p, ctypes.c_char_p
        for name, res, args in (("PQresultErrorField", s, [p, ctypes.c_int]),):
            fn = getattr(self.lib, name)
            fn.restype, fn.argtypes = res, args

    def rows(self, conn: int, query: str) -> tuple[Rows | None, str | None]:
        """(every row, []) for a command), or (None, SQLSTATE) when it failed."""
        res = self.lib.PQexec(conn, query.encode())
        try:
            status = self.lib.PQresultStatus(res) if res else -1
            if status == _COMMAND_OK:
                return [], None
            if status != _TUPLES_OK:
                state = self.lib.PQresultErrorField(res, _SQLSTATE) if res else None
                return None, state.decode() if state else None
            width = self.lib.PQnfields(res)
            out: Rows = []
            for r in range(self.lib.PQntuples(res)):
                cells = [self.lib.PQgetvalue(res, r, i) for i in range(width)]
                out.append([None if v is None else v.decode() for v in cells])
            return out, None
        finally:
            if res:
                self.lib.PQclear(res)


_loaded: list[_Pq | None] = []


def _pq() -> _Pq | None:
    if not _loaded:
        path = bundled_libpq()
        try:
            _loaded.append(_Pq(path) if path else None)
        except (OSError, AttributeError):  # not loadable, or a libpq without these calls
            _loaded.append(None)
    return _loaded[0]


def conninfo(url: str) -> dict[str, str] | None:
    """The URL or key=value string as libpq parses it; None when that cannot be told here (no bundled
    libpq, or a malformed URL: psycopg's parse then says what is wrong, password masked)."""
    pq = _pq()
    try:
        return pq.conninfo(url) if pq is not None else None
    except (UnicodeError, ValueError):
        return None


def swap_spare(url: str, name: str, wanted: str, step: Step) -> list[str] | Unreached | None:
    """Put the spare labelled ``wanted`` in place of ``name`` (its database on the server ``url``
    names); the trash for the background job to drop, or None when the ordinary path must do the
    reset (nothing swapped; any state left between two steps is one it repairs); :class:`Unreached`
    when no server answered (``Libpq.attempt``: in the words of the ordinary path's connect)."""
    pq = _pq()
    if pq is None or not name:
        return None
    conn = pq.attempt(url, ADMIN_DB)
    if conn is None or isinstance(conn, Unreached):
        return conn  # no server answered: final (the ordinary path would wait for it again)
    try:
        key = reset_lock_key(name)
        got, _ = pq.rows(conn, f"SELECT pg_try_advisory_lock({key})")
        if got != [["t"]]:
            return None  # held: the ordinary path waits for it, telling who holds it
        try:
            step("locked")
            return _swap(pq, conn, name, wanted, step)
        finally:
            pq.rows(conn, f"SELECT pg_advisory_unlock({key})")
    except (UnicodeError, ValueError):
        return None
    finally:
        pq.lib.PQfinish(conn)


def _swap(pq: _Pq, conn: int, name: str, wanted: str, step: Step) -> list[str] | None:
    nxt, spare, trash = next_name(name), spare_name(name), trash_name(name)
    lit = {n: pq.quoted(conn, n, literal=True) for n in (name, nxt, spare, trash_like(name))}
    ident = {n: pq.quoted(conn, n, literal=False) for n in (name, nxt, spare, trash)}
    if None in lit.values() or None in ident.values():
        return None
    plain, _ = pq.rows(
        conn,
        "SELECT (SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user), "
        f"EXISTS (SELECT FROM pg_database WHERE datname = {lit[name]}), "
        f"EXISTS (SELECT FROM pg_database WHERE datname = {lit[nxt]}), "
        f"(SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = {lit[spare]}), "
        f"(SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = {lit[name]})",
    )
    if not plain or plain[0][:4] != ["t", "t", "f", SPARE_PREFIX + wanted]:
        return None  # not the plain case: the ordinary path repairs, clones or migrates
    label = plain[0][4]  # a branch label stays: the reset database is still that branch's
    keep = pq.quoted(conn, label, literal=True) if label and label.startswith(BRANCH_LABEL) else "NULL"
    if keep is None:
        return None
    if pq.rows(conn, f"ALTER DATABASE {ident[spare]} RENAME TO {ident[nxt]}")[0] is None:
        return None  # in use: nothing changed
    step("swap in prepared copy")
    for attempt in range(3):  # as admin.swap_in_next: a client reconnecting between terminate and rename
        pq.rows(
            conn,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = {lit[name]} AND pid <> pg_backend_pid()",
        )
        done, state = pq.rows(conn, f"ALTER DATABASE {ident[name]} RENAME TO {ident[trash]}")
        if done is not None:
            break
        if state != _OBJECT_IN_USE or attempt == 2:
            return None  # the ordinary path puts the copy back as the spare and tries (and tells) again
        import time

        time.sleep(0.05)
    step("target renamed")
    if pq.rows(conn, f"ALTER DATABASE {ident[nxt]} RENAME TO {ident[name]}")[0] is None:
        return None  # the ordinary path's repair puts the original back from the trash first
    if pq.rows(conn, f"COMMENT ON DATABASE {ident[name]} IS {keep}")[0] is None:
        return None
    step("copy in place")
    found, _ = pq.rows(conn, f"SELECT datname FROM pg_database WHERE datname LIKE {lit[trash_like(name)]}")
    return trash_among(name, [str(r[0]) for r in found or []])
