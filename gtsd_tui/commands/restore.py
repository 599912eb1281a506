"""``gtsd-tui restore FILE``: run a backup with psql in one transaction, stopping at the first error."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

from gtsd_tui.config import mask_url, scrub
from gtsd_tui.errors import EXIT_OK, DatabaseError, InputError
from gtsd_tui.services.backup import tool
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("restore", parents=[common], help="restore a backup made by gtsd-tui backup")
    p.add_argument("file")


def run(args: argparse.Namespace, project: Project) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    url = project.resolve_url()
    from gtsd_tui.db.connect import child_conninfo

    conninfo, env = child_conninfo(url)  # the password goes through the environment, never argv
    cmd = [tool("psql", url), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(path), conninfo]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        last = scrub((r.stderr.strip().splitlines() or ["failed"])[-1], url)
        raise DatabaseError(f"restore of {path} into {mask_url(url)}: {last}")
    print(f"restored {path} into {mask_url(url)}")
    return EXIT_OK
