"""Connections: autocommit, ``application_name``, timeouts, and errors as one masked line."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from gtsd_tui.config import bad_escape_part, mask_url, parse_target
from gtsd_tui.core.server.activity import CONSOLE_APP
from gtsd_tui.db.conn_words import describe_error as describe_error
from gtsd_tui.db.conn_words import first_line as first_line
from gtsd_tui.db.libpq_lite import APP_NAME, CONNECT_TIMEOUT
from gtsd_tui.errors import DatabaseError, InputError

CONSOLE_APP_NAME = CONSOLE_APP  # the console's own reads: its Connections pane offers no c/K on them
T = TypeVar("T")  # what a pooled read returns


def parse_conninfo(url: str, source: str = "the database URL") -> dict[str, str]:
    """The URL or key=value string as libpq parses it (no defaults, no network); a malformed one is
    an input error (exit 2) whose message never shows the password."""
    try:
        return {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(url).items() if v is not None}
    except psycopg.Error as exc:
        part = bad_escape_part(url) if "percent-encoded" in str(exc) else None
        if part is not None:  # the token itself may be the password: name the part instead
            why = f"a % in its {part} is not followed by two hex digits (write a literal % as %25)"
            raise InputError(f"{source} {mask_url(url)} is malformed: {why}") from None
        raise InputError(f"{source} {mask_url(url)} is malformed: {first_line(url, exc)}") from None


def child_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """For pg_dump / psql: the connection string without its secrets, and an environment carrying
    them (a child's argv is visible in ``ps`` to every local user): the password as ``PGPASSWORD``;
    an ``sslpassword``, which has no environment variable, through a private service file
    (``PGSERVICEFILE``, mode 0600 in a 0700 folder, removed when this process exits)."""
    params = parse_conninfo(url)
    password = params.pop("password", None)
    sslpassword = params.pop("sslpassword", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    if sslpassword is not None:
        if "\n" in sslpassword or "\r" in sslpassword:
            raise InputError(f"{mask_url(url)}: an sslpassword with a line break cannot be passed to pg_dump/psql")
        if "service" in params:
            raise InputError(
                f"{mask_url(url)}: sslpassword together with service= cannot be passed to pg_dump/psql "
                "without showing it; put sslpassword in the service file"
            )
        env["PGSERVICEFILE"] = str(_service_file(sslpassword))
        params["service"] = "gtsd_child"
    return psycopg.conninfo.make_conninfo(**params), env


def _service_file(sslpassword: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="gtsd-svc-"))  # 0700
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "pg_service.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"[gtsd_child]\nsslpassword={sslpassword}\n")
    return path


def connect(
    url: str,
    *,
    autocommit: bool = True,
    connect_timeout: float = CONNECT_TIMEOUT,
    application_name: str = APP_NAME,
    **kwargs: Any,
) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=max(1, int(connect_timeout)),
            application_name=application_name,
            **kwargs,
        )
    except psycopg.Error as exc:
        raise DatabaseError(describe_error(url, exc)) from None


def server_label(url: str) -> str:
    t = parse_target(url)
    return f"{t.host or 'local socket'}:{t.port}/{t.dbname}"


class ConnectionLost(Exception):
    """The pool's connection was ended under a read (the server stopped, killed or restarted, the session
    terminated), or the pool gave none: the server may be gone."""


def open_pool(url: str, *, max_size: int = 4) -> Any:
    """A small autocommit pool for the console's reads (``pooled_read``); connection errors surface as
    DatabaseError. No check before lending a connection: psycopg_pool's check loop, on a server gone, waits
    and retries until the pool's ``timeout``; ``pooled_read`` tells a lost connection at once instead."""
    from psycopg_pool import ConnectionPool

    try:
        with psycopg.connect(url, connect_timeout=3, application_name=CONSOLE_APP_NAME):
            pass  # fail fast, with the server's own message, before the pool starts retrying in the background
    except psycopg.Error as exc:
        raise DatabaseError(describe_error(url, exc)) from None
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        timeout=5,
        open=True,
        name="gtsd-console",
        kwargs={"autocommit": True, "application_name": CONSOLE_APP_NAME, "connect_timeout": 3},
    )


def pooled_read(pool: Any, read: Callable[[psycopg.Connection[Any]], T]) -> T:
    """``read`` over one of the pool's connections. ConnectionLost when the pool gives none (closed, or
    none within its timeout) or the connection turns out broken (the caller drops the pool and reads
    over a connection of its own: the server's answer at once); any other error as ``read`` raised it."""
    conn: psycopg.Connection[Any] | None = None
    try:
        with pool.connection() as conn:
            return read(conn)
    except (psycopg.Error, DatabaseError) as exc:  # psycopg_pool's PoolTimeout and PoolClosed are psycopg.Errors
        if conn is None or conn.closed:  # broken, or closed by the pool it went back to
            raise ConnectionLost(first_line(None, exc)) from exc
        raise
