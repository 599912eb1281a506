"""Why a connection failed, in the terms of what helps: retrying, fixing the URL, or creating the database.

Read from the one-line message the driver gave (``cannot connect to URL: FATAL: ...``); the CLI and the
console say the same thing from it.
"""

from __future__ import annotations

import re

AUTH = "auth"  # wrong password, unknown role, pg_hba refusal: no retry helps until the URL changes
MISSING_DATABASE = "missing_database"  # the server answers, the database is not there: R creates it
UNREACHABLE = "unreachable"  # no answer (down, wrong host or port, a network cut): worth retrying

_AUTH = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "pg_hba.conf",
    "peer authentication failed",
)


def failure_kind(message: str) -> str:
    text = message.lower()
    if any(a in text for a in _AUTH) or re.search(r'role "[^"]*" does not exist', text):
        return AUTH
    if re.search(r'database "[^"]*" does not exist', text):
        return MISSING_DATABASE
    return UNREACHABLE


def retriable(kind: str) -> bool:
    """Whether trying again without a change can succeed."""
    return kind not in (AUTH, MISSING_DATABASE)


def retry_helps(error: str | None, fatal: bool) -> bool:
    """For a database state: whether the console's countdown should try again (not after a malformed
    URL, a wrong password or a missing database)."""
    return not fatal and retriable(failure_kind(error or ""))


def advice(kind: str, url_origin: str, *, console: bool = True) -> str:
    """What to do about it, naming where the URL came from (``DATABASE_URL in .env``, ``--database-url``);
    the console's keys (``r``, ``R``) or the CLI's commands."""
    if kind == AUTH:
        return (
            f"not retrying: fix the user or password in {url_origin}, then r"
            if console
            else (f"fix the user or password in {url_origin}")
        )
    if kind == MISSING_DATABASE:
        if console:
            return "not retrying: R creates the database and applies every migration"
        return "`gtsd-tui reset` creates it and applies every migration"
    return "retrying" if console else f"is the server running, and is {url_origin} right?"
