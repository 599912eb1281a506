"""Connections: autocommit, ``application_name``, timeouts, and errors as one masked line."""

from __future__ import annotations

from typing import Any

import psycopg

from gtsd_tui.config import mask_url, parse_target
from gtsd_tui.errors import DatabaseError

APP_NAME = "gtsd-tui"


def describe_error(url: str, exc: BaseException) -> str:
    """One line for a failed connection: the masked URL and the server's first line."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    first = first.replace("connection failed: ", "")
    return f"cannot connect to {mask_url(url)}: {first}"


def connect(
    url: str,
    *,
    autocommit: bool = True,
    connect_timeout: float = 5,
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


def open_pool(url: str, *, max_size: int = 4) -> Any:
    """A small autocommit pool for the console's reads; connection errors surface as DatabaseError."""
    from psycopg_pool import ConnectionPool

    try:
        with psycopg.connect(url, connect_timeout=3, application_name=APP_NAME):
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
        kwargs={"autocommit": True, "application_name": APP_NAME, "connect_timeout": 3},
    )
