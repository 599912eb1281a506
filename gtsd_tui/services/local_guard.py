"""Guards for destructive local workflows (reset, forget): decided from the URL alone, before any
connection is opened."""

from __future__ import annotations

from gtsd_tui.config import is_local_host, mask_url, parse_target
from gtsd_tui.errors import GtsdError


def require_local(url: str, *, allow: list[str] | None = None, force: bool = False, what: str = "reset") -> None:
    t = parse_target(url)
    if t.sslmode in ("require", "verify-ca", "verify-full") and not force:
        raise GtsdError(
            f"{what} refused: {mask_url(url)} asks for sslmode={t.sslmode}, which means a remote "
            "server; pass --force if you really mean it"
        )
    if is_local_host(t.host) or (allow and t.dbname in allow):
        return
    raise GtsdError(
        f"{what} refused: {t.host} is not a local server (unix socket, localhost, 127.0.0.0/8, ::1); "
        f"to allow it, pass --allow-db {t.dbname}"
    )
