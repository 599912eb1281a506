"""``gtsd-tui new NAME``: a hand-written migration drizzle-orm actually runs."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import print_json
from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_OK
from gtsd_tui.services.folder_ops import create_migration
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("new", parents=[common], help="create an empty migration with journal entry and snapshot")
    p.add_argument("name", help="short name, e.g. add_user_streaks")
    p.add_argument("--description", "-d", help="the header's Description line")


def run(args: argparse.Namespace, project: Project) -> int:
    made = create_migration(project, args.name, args.description)
    if args.json:
        print_json(vars(made))
    else:
        print(f"created {shown(str(project.folder_path / made.file))} (when {made.when}, {shown(made.snapshot)})")
    return EXIT_OK
