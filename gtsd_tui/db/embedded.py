"""The embedded default database: a PostgreSQL under ``.gtsd/`` started from pgserver's binaries.

pgserver ships PostgreSQL binaries in its wheel. We run them ourselves (rather than through
``pgserver.get_server``) so the server also listens on 127.0.0.1, which drizzle-orm's node
drivers need, and so one code path serves the system-binaries fallback too. As root, the
server runs as an unprivileged system user, as PostgreSQL requires.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gtsd_tui.errors import GtsdError

SERVER_USER = "pgserver"
DEFAULT_DB = "gtsd"
HOW_TO_POINT = "set DATABASE_URL or pass --database-url postgresql://user:password@host:5432/db"


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    bindir: Path
    port: int
    socket_dir: Path
    started: bool  # False when an already running server was reused

    def url(self, dbname: str = DEFAULT_DB) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"


def find_bindir() -> Path | None:
    """pgserver's bundled binaries, else ``pg_config --bindir``, PATH, ``/usr/lib/postgresql/*/bin``."""
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.origin:
        cand = Path(spec.origin).parent / "pginstall" / "bin"
        if (cand / "pg_ctl").exists():
            return cand
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=5).stdout.strip()
            if out and (Path(out) / "pg_ctl").exists() and (Path(out) / "initdb").exists():
                return Path(out)
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0))
    for cand_s in reversed(found):
        if (Path(cand_s) / "pg_ctl").exists():
            return Path(cand_s)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _running(data_dir: Path) -> tuple[int, Path] | None:
    """(port, socket dir) of a live postmaster for this data dir, from ``postmaster.pid``."""
    pidfile = data_dir / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        pid, port, sockdir = int(lines[0]), int(lines[3]), Path(lines[4])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return (port, sockdir) if _port_open(port) else None


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SERVER_USER],
            check=True,
            capture_output=True,
        )
    return SERVER_USER


def _open_path_for(user: str, path: Path, bindir: Path) -> None:
    """Let ``user`` traverse to ``path`` and run the binaries (what pgserver does as root too)."""
    pw = pwd.getpwnam(user)
    for p in [*path.parents, *bindir.parents]:
        with contextlib.suppress(OSError):
            mode = p.stat().st_mode
            if not mode & stat.S_IXOTH:
                p.chmod(mode | stat.S_IXOTH)
    install = bindir.parent
    for root, dirs, files in os.walk(install):
        for name in dirs + files:
            full = Path(root) / name
            with contextlib.suppress(OSError):
                mode = full.stat().st_mode
                want = mode | stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR or full.is_dir() else 0)
                if want != mode:
                    full.chmod(want)
    os.chown(path, pw.pw_uid, pw.pw_gid)


def _socket_dir(base: Path) -> Path:
    cand = base / "run"
    if len(str(cand)) < 90:
        return cand
    return Path("/tmp") / ("gtsd-" + hashlib.sha1(str(base).encode()).hexdigest()[:12])


def _cmd(bindir: Path, user: str | None, args: list[str], timeout: float = 60) -> None:
    ids: dict[str, object] = {}
    if user:  # drop root's groups too, or root-group directories stay closed to the server
        pw = pwd.getpwnam(user)
        ids = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    try:
        subprocess.run(
            [str(bindir / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
            **ids,
        )  # type: ignore[call-overload]
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise GtsdError(f"{args[0]} failed: {last[-1] if last else exc}") from None
    except subprocess.TimeoutExpired:
        raise GtsdError(f"{args[0]} did not finish in {timeout:.0f}s") from None


@contextlib.contextmanager
def _locked(base: Path) -> Iterator[None]:
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_server(base: Path, *, fast: bool = False, dbname: str = DEFAULT_DB) -> EmbeddedServer:
    """Start (or reuse) the server whose data lives in ``base/pgdata``; create ``dbname`` in it.

    ``fast`` turns off fsync (for tests). Raises GtsdError (exit 2) when no binaries exist.
    """
    base = base.resolve()
    data = base / "pgdata"
    with _locked(base):
        live = _running(data)
        bindir = find_bindir()
        if live:
            return EmbeddedServer(data, bindir or Path(), live[0], live[1], started=False)
        if bindir is None:
            raise GtsdError(
                f"no PostgreSQL binaries found (pgserver not installed, no pg_ctl); {HOW_TO_POINT}",
                exit_code=2,
            )
        user = _run_as()
        fresh = not (data / "PG_VERSION").exists()
        if fresh:
            if data.exists():
                shutil.rmtree(data)
            data.mkdir(parents=True)
            data.chmod(0o700)
        if user:
            _open_path_for(user, data, bindir)
        if fresh:
            args = ["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"]
            _cmd(bindir, user, args + (["--no-sync"] if fast else []))
        sock = _socket_dir(base)
        sock.mkdir(parents=True, exist_ok=True)
        if user:
            pw = pwd.getpwnam(user)
            os.chown(sock, pw.pw_uid, pw.pw_gid)
        port = _free_port()
        opts = f"-h 127.0.0.1 -p {port} -k {sock} -c max_connections=300"
        opts += " -c fsync=off -c full_page_writes=off" if fast else " -c synchronous_commit=off"
        (base / "server.log").touch()
        if user:
            os.chown(base / "server.log", pwd.getpwnam(user).pw_uid, -1)
        _cmd(
            bindir,
            user,
            [
                "pg_ctl",
                "-D",
                str(data),
                "-w",
                "-t",
                "60",
                "-l",
                str(base / "server.log"),
                "-o",
                opts,
                "start",
            ],
            timeout=90,
        )
        server = EmbeddedServer(data, bindir, port, sock, started=True)
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


def stop_server(base: Path) -> bool:
    data = base.resolve() / "pgdata"
    if _running(data) is None:
        return False
    bindir = find_bindir()
    if bindir is None:
        return False
    _cmd(bindir, _run_as(), ["pg_ctl", "-D", str(data), "-w", "-m", "fast", "stop"])
    deadline = time.time() + 10
    while _running(data) and time.time() < deadline:
        time.sleep(0.1)
    return True
