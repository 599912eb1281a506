"""``gtsd-tui renumber``: one step from a conflicted merge to a folder drizzle-kit and drizzle-orm accept."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import confirmed, print_json
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.folder_lock import folder_lock
from gtsd_tui.services.folder_ops import apply_renumber, prepare_renumber
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("renumber", parents=[common], help="renumber, re-stamp and re-link after a merge")
    p.add_argument("--dry-run", action="store_true", help="print the plan only")
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.add_argument("--base", metavar="REF", help="never move migrations present on this git ref")
    p.add_argument("--force", action="store_true", help="also move applied / base migrations")
    p.add_argument("--offline", action="store_true", help="do not look at the database")
    p.add_argument(
        "--wait", type=float, default=10.0, metavar="S", help="wait up to S seconds for the folder lock (default 10)"
    )


def run(args: argparse.Namespace, project: Project) -> int:
    if args.wait < 0:
        raise InputError(f"--wait {args.wait:g}: must be 0 or more seconds")
    with folder_lock(project.folder_path, "gtsd-tui renumber", wait=args.wait):  # held for plan and commit
        return _run(args, project)


def _run(args: argparse.Namespace, project: Project) -> int:
    ctx = prepare_renumber(project, base=args.base, force=args.force, use_db=not args.offline)
    plan = ctx.plan
    if args.json and (args.dry_run or plan.noop or not args.yes):
        print_json(
            {
                "noop": plan.noop,
                "applied": False,
                "kept_by": ctx.pinned_by,
                "kept": plan.kept,
                "changes": [vars(c) for c in plan.changes],
                "relinked": plan.relinked,
                "writes": sorted(plan.writes),
                "deletes": plan.deletes,
                "renames": plan.sql_moves,
            }
        )
        return EXIT_OK if plan.noop or args.dry_run else EXIT_PROBLEMS
    if plan.noop:
        print("nothing to renumber: the folder is consistent")
        return EXIT_OK
    print(f"kept in place ({ctx.pinned_by}): {len(plan.kept)} migration(s)")
    for c in plan.changes:
        print(f"  {c.describe()}")
    for name in plan.relinked:
        print(f"  re-link meta/{name}")
    for rel in sorted(plan.writes):
        print(f"  write {rel}")
    for rel in plan.deletes:
        print(f"  delete {rel}")
    if args.dry_run:
        return EXIT_OK
    ok = confirmed(args.yes, "apply this plan?", "not applied")
    if not ok:
        if ok is False:
            print("cancelled; nothing changed")
        return EXIT_PROBLEMS if ok is None else EXIT_OK
    apply_renumber(project, ctx)
    if args.json:
        print_json({"noop": False, "applied": True, "changes": [vars(c) for c in plan.changes]})
    else:
        print("renumbered; SQL bytes unchanged (hashes kept)")
    return EXIT_OK
