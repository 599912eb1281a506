"""``gtsd-tui backup [FILE]``: pg_dump to the guide's ``backup_YYYYMMDD_HHMMSS.sql``."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import print_json
from gtsd_tui.errors import EXIT_OK
from gtsd_tui.services.backup import dump
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="pg_dump the database to a SQL file")
    p.add_argument("file", nargs="?", help="default: .gtsd/backups/backup_YYYYMMDD_HHMMSS.sql (ignored by git)")


def run(args: argparse.Namespace, project: Project) -> int:
    path = dump(project.resolve_url(), args.file, project.settings.cwd)
    if args.json:
        print_json({"file": str(path)})
    else:
        print(f"backup written to {path}")
    return EXIT_OK
