"""Guards for destructive local workflows (reset, forget): decided before any connection is opened,
from what libpq will actually dial (host, hostaddr, service files, PG* variables, host lists)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from gtsd_tui.config import mask_url
from gtsd_tui.core.fleets.libpq_targets import Resolution, resolve
from gtsd_tui.errors import GtsdError

LOCAL = "a unix socket, localhost, 127.0.0.0/8 or ::1"


def parse_url(url: str, source: str = "the database URL") -> dict[str, str]:
    """The URL as libpq parses it: through the bundled libpq when it can (no psycopg import, which is
    most of a quick reset's time), else psycopg's parse, which also words what is malformed (exit 2)."""
    from gtsd_tui.db.quick_reset import conninfo

    found = conninfo(url)
    if found is not None:
        return found
    from gtsd_tui.db.connect import parse_conninfo

    return parse_conninfo(url, source)


def resolve_url(url: str, environ: Mapping[str, str] | None = None, source: str = "the database URL") -> Resolution:
    return resolve(parse_url(url, source), os.environ if environ is None else environ)


def local_target(url: str) -> tuple[str, bool]:
    """(database name, does every endpoint lie on this machine) for the console's reset dialog."""
    res = resolve_url(url)
    return res.dbname, res.problem is None and all(e.local for e in res.endpoints)


def require_local(
    url: str,
    *,
    allow: list[str] | None = None,
    force: bool = False,
    what: str = "reset",
    environ: Mapping[str, str] | None = None,
    source: str = "the database URL",
) -> None:
    res = resolve_url(url, environ, source)
    if res.problem:
        raise GtsdError(f"{what} refused: cannot tell where {mask_url(url)} connects: {res.problem}")
    if res.sslmode in ("require", "verify-ca", "verify-full") and not force:
        raise GtsdError(
            f"{what} refused: {mask_url(url)} asks for sslmode={res.sslmode}, which means a remote "
            "server; pass --force if you really mean it"
        )
    remote = [e for e in res.endpoints if not e.local]
    if not remote or (allow and res.dbname in allow):
        return
    e = remote[0]
    raise GtsdError(
        f"{what} refused: {e.address} is not a local server ({e.source}; only {LOCAL} is); "
        f"to allow it, pass --allow-db {res.dbname}"
    )
