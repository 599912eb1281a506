"""``gtsd-tui restore FILE``: run a backup with psql in one transaction, stopping at the first error."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gtsd_tui.config import mask_url
from gtsd_tui.errors import EXIT_OK, InputError
from gtsd_tui.services.backup import restore
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("restore", parents=[common], help="restore a backup made by gtsd-tui backup")
    p.add_argument("file")


def run(args: argparse.Namespace, project: Project) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    url = project.resolve_url()
    restore(url, path)
    print(f"restored {path} into {mask_url(url)}")
    return EXIT_OK
