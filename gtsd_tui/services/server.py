"""The embedded server's lifetime, for ``gtsd-tui server status|stop`` and the console's header."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gtsd_tui.config import Settings

EMBEDDED_DIR = ".gtsd"


@dataclass(frozen=True)
class ServerStatus:
    data_dir: str
    initialised: bool
    data_version: int | None  # the major in PG_VERSION
    running: bool
    server_version: str | None  # of the running server, else of the binaries that would start it
    pid: int | None
    port: int | None
    socket_dir: str | None
    started_at: str | None  # ISO 8601, UTC
    size_bytes: int
    url: str | None
    binaries: str | None
    in_use: bool  # False when a DATABASE_URL (flag, environment, .env) points elsewhere

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def base_dir(settings: Settings) -> Path:
    return (settings.cwd / EMBEDDED_DIR).resolve()


def status(settings: Settings) -> ServerStatus:
    return status_of(base_dir(settings), in_use=settings.database_url is None)


def status_of(base: Path, *, in_use: bool) -> ServerStatus:
    from gtsd_tui.db.embedded import DEFAULT_DB, bindir_for_data, postmaster, server_size
    from gtsd_tui.db.pg_binaries import bindir_version, data_major

    data = base / "pgdata"
    live = postmaster(data)
    bindir = bindir_for_data(data)
    version = _live_version(live.port) if live else None
    if version is None and bindir:
        version = bindir_version(bindir) or None
    started = dt.datetime.fromtimestamp(live.started_at, dt.UTC).isoformat(timespec="seconds") if live else None
    return ServerStatus(
        data_dir=str(data),
        initialised=(data / "PG_VERSION").exists(),
        data_version=data_major(data),
        running=live is not None,
        server_version=version,
        pid=live.pid if live else None,
        port=live.port if live else None,
        socket_dir=str(live.socket_dir) if live else None,
        started_at=started,
        size_bytes=server_size(data) if data.exists() else 0,
        url=f"postgresql://postgres@127.0.0.1:{live.port}/{DEFAULT_DB}" if live else None,
        binaries=str(bindir) if bindir else None,
        in_use=in_use,
    )


def sweep_rehearsals(st: ServerStatus) -> list[str]:
    """Drop the copies that killed rehearsals on this host left on the running embedded server (their
    owner's pid is in the name and gone); the names dropped. Nothing when the server is not running."""
    if not st.running or st.port is None:
        return []
    from gtsd_tui.db.clone import sweep_orphans
    from gtsd_tui.db.connect import connect
    from gtsd_tui.errors import GtsdError

    try:
        with connect(f"postgresql://postgres@127.0.0.1:{st.port}/postgres", connect_timeout=3) as conn:
            return sweep_orphans(conn)
    except GtsdError:
        return []


def everywhere(settings: Settings) -> list[ServerStatus]:
    """Every embedded server gtsd-tui started on this machine (this directory's among them, if made)."""
    from gtsd_tui.db.embedded import registered

    here = base_dir(settings)
    bases = registered()
    return [status_of(b, in_use=b == here and settings.database_url is None) for b in bases]


def stop_everywhere(settings: Settings, before: Callable[[ServerStatus], None]) -> list[ServerStatus]:
    """Stop every running embedded server gtsd-tui started here (``before`` hears each one first)."""
    from gtsd_tui.db.embedded import stop_server

    stopped = []
    for st in everywhere(settings):
        if st.running:
            before(st)
            if stop_server(Path(st.data_dir).parent):
                stopped.append(st)
    return stopped


def consoles_using(st: ServerStatus) -> int:
    """How many connections of consoles a running server has now (their reads' application_name)."""
    from gtsd_tui.core.server.activity import CONSOLE_APP
    from gtsd_tui.db.connect import connect
    from gtsd_tui.errors import GtsdError

    if not st.running or st.port is None:
        return 0
    try:
        with connect(f"postgresql://postgres@127.0.0.1:{st.port}/postgres", connect_timeout=3) as conn:
            sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
            n = conn.execute(sql, (CONSOLE_APP,)).fetchone()
            return int(n[0]) if n else 0
    except GtsdError:
        return 0


def _live_version(port: int) -> str | None:
    from gtsd_tui.db.connect import connect
    from gtsd_tui.errors import GtsdError

    try:
        with connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]).split()[0] if row else None
    except GtsdError:
        return None


def stop(settings: Settings) -> bool:
    """Stop the embedded server of this working directory; False when none was running."""
    from gtsd_tui.db.embedded import stop_server

    return stop_server(base_dir(settings))


def console_note(embedded: bool, port: str = "") -> str:
    """The console header's words for the embedded server (empty when another server is used)."""
    if not embedded:
        return ""
    where = f"{EMBEDDED_DIR}/, port {port}" if port else f"{EMBEDDED_DIR}/"
    return f"embedded PostgreSQL in {where}; keeps running after quit"  # quit says how to stop it
