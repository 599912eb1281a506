"""``gtsd-tui revert TAG``: the reverse of a migration, written as a new forward migration (never applied)."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import print_json
from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_OK, InputError
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("revert", parents=[common], help="write a new migration that undoes TAG (not applied)")
    p.add_argument("tag")


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.core.sql.revert import revert_sql
    from gtsd_tui.services.folder_ops import create_migration

    folder = project.load_folder()
    m = folder.by_tag(args.tag)
    if m is None or m.file is None:
        raise InputError(f"{args.tag}: no such migration with a file in {folder.path}")
    body = revert_sql(folder.read_bytes(m).decode("utf-8", "replace"), m.tag)
    made = create_migration(project, f"revert_{m.suffix}", f"Revert {m.tag}", body + "\n")
    todos = body.count("-- TODO: cannot revert automatically")
    if args.json:
        print_json({**vars(made), "todo": todos})
    else:
        print(
            f"created {shown(str(project.folder_path / made.file))}: review it, then apply it with gtsd-tui migrate"
            + (f" ({todos} statement(s) need a hand-written reverse: see the TODO lines)" if todos else "")
        )
    return EXIT_OK
