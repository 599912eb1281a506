"""``gtsd-tui baseline --to TAG``: record migrations as applied on a database whose schema is already theirs."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import confirmed, print_json
from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "baseline",
        parents=[common],
        help="adopt a database made without the migrator: check it is TAG's schema, then write the rows",
    )
    p.add_argument("--to", required=True, metavar="TAG", help="the last migration the schema already holds")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--dry-run", action="store_true", help="compare and list the rows; write nothing")


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.baseline import BaselineResult, baseline

    asked: list[bool | None] = []

    def confirm(result: BaselineResult) -> bool:
        if not args.json:
            _rows(result)
        ok = confirmed(args.yes, f"record {len(result.rows)} migration(s) as applied?", "nothing written")
        asked.append(ok)
        return bool(ok)

    result = baseline(project, args.to, dry_run=args.dry_run, confirm=confirm)
    if args.json:
        print_json({"database": project.database_json(True), **result.as_json()})
    elif result.differences:
        print(f"{shown(project.masked_url)} is not the schema of {shown(result.tag)}; nothing written:")
        for d in result.differences:
            print(shown(d.line()))
    elif args.dry_run:
        _rows(result)
        print("dry run: nothing written")
    elif result.written:
        print(f"recorded {len(result.rows)} migration(s) up to {shown(result.tag)} in {project.settings.table_label}")
    if result.differences:
        return EXIT_PROBLEMS
    if not args.dry_run and not result.written:
        return EXIT_PROBLEMS if asked and asked[-1] is None else EXIT_OK
    return EXIT_OK


def _rows(result: Any) -> None:
    for h, when, name in result.rows:
        print(f"  {h[:12]}  created_at {when}" + (f"  name {shown(name)}" if name else ""))
