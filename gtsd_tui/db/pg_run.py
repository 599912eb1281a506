"""Running PostgreSQL's own programs for the embedded server: as an unprivileged user when we are root."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import socket
import stat
import subprocess
import time
from pathlib import Path

from gtsd_tui.errors import GtsdError

SERVER_USER = "pgserver"


def run_as() -> str | None:
    """The system user the server runs as: ``pgserver`` (created if missing) as root, else ourselves."""
    if os.geteuid() != 0:
        return None
    for _ in range(50):
        try:
            pwd.getpwnam(SERVER_USER)
            return SERVER_USER
        except KeyError:
            pass
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SERVER_USER], capture_output=True
        )
        if made.returncode == 0:
            return SERVER_USER
        time.sleep(0.1)  # another process starting a server is making it (useradd locks /etc/passwd)
    made.check_returncode()
    return SERVER_USER


def give_to(user: str | None, *paths: Path) -> None:
    if user:
        pw = pwd.getpwnam(user)
        for p in paths:
            os.chown(p, pw.pw_uid, pw.pw_gid)


def open_path_for(user: str, path: Path, bindir: Path) -> None:
    """Let ``user`` traverse to ``path`` and run the binaries (what pgserver does as root too)."""
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
    give_to(user, path)


def socket_dir(base: Path) -> Path:
    cand = base / "run"
    if len(str(cand)) < 90:
        return cand
    return Path("/tmp") / ("gtsd-" + hashlib.sha1(str(base).encode()).hexdigest()[:12])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def cmd(bindir: Path, user: str | None, args: list[str], timeout: float = 60, cwd: str | Path = "/") -> str:
    """Run ``bindir/args[0]`` (as ``user``); its stdout, or GtsdError with its last line of output."""
    ids: dict[str, object] = {}
    if user:  # drop root's groups too, or root-group directories stay closed to the server
        pw = pwd.getpwnam(user)
        ids = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    try:
        r = subprocess.run(
            [str(bindir / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(cwd),
            **ids,
        )  # type: ignore[call-overload]
        return str(r.stdout)
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise GtsdError(f"{args[0]} failed: {last[-1] if last else exc}") from None
    except subprocess.TimeoutExpired:
        raise GtsdError(f"{args[0]} did not finish in {timeout:.0f}s") from None
