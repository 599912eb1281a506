"""How a failed connection is worded: one line, the URL masked, no password. No psycopg here: the
psycopg connection (``connect.py``) and the bundled libpq's (``libpq_lite.py``, for ``status``)
word their failures with the same two functions."""

from __future__ import annotations

from gtsd_tui.config import mask_url, scrub


def first_line(url: str | None, exc: BaseException) -> str:
    """The first line of a driver's message, with the URL's passwords removed (libpq echoes the
    malformed part of a URL, password included)."""
    text = str(exc).strip()
    return scrub(text.splitlines()[0] if text else type(exc).__name__, url)


def describe_error(url: str, exc: BaseException) -> str:
    """One line for a failed connection: the masked URL and the server's first line."""
    first = first_line(url, exc).replace("connection failed: ", "")
    return f"cannot connect to {mask_url(url)}: {first}"
