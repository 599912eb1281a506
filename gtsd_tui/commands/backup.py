"""``gtsd-tui backup [FILE]``: pg_dump to the guide's ``backup_YYYYMMDD_HHMMSS.sql``."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.errors import EXIT_OK
from gtsd_tui.services.backup import dump
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="pg_dump the database to a SQL file")
    p.add_argument("file", nargs="?", help="default: backup_YYYYMMDD_HHMMSS.sql")


def run(args: argparse.Namespace, project: Project) -> int:
    print(f"backup written to {dump(project.resolve_url(), args.file)}")
    return EXIT_OK
