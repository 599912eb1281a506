"""``gtsd-tui accept FILE [--force]``: record the current hash of an edited applied migration
whose edit is cosmetic (comments, whitespace, formatting), like Flyway's ``repair``."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import print_json
from gtsd_tui.errors import EXIT_OK
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("accept", parents=[common], help="accept a cosmetic edit of an applied migration")
    p.add_argument("file", metavar="FILE", help="the migration (file name, path or tag)")
    p.add_argument("--force", action="store_true", help="accept a substantive (or unclassifiable) edit too")


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.accept import accept

    done = accept(project, args.file, force=args.force)
    if args.json:
        print_json({"tag": done.tag, "old_hash": done.old_hash, "new_hash": done.new_hash, **done.edit.as_json()})
    else:
        kind = done.edit.kind or "unclassified"
        print(f"accepted {done.tag} ({kind} edit): hash {done.old_hash[:12]} -> {done.new_hash[:12]}")
        for line in done.edit.diff:
            print(f"  {line}")
    return EXIT_OK
