"""``gtsd-tui renumber``: one step from a conflicted merge to a folder drizzle-kit and drizzle-orm accept."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gtsd_tui.commands.output import confirmed, paint, print_json
from gtsd_tui.core.display import shown
from gtsd_tui.core.merging.renumber_text import clash_lines, plan_json, plan_lines, refusal
from gtsd_tui.core.merging.schema_findings import forks
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.folder_lock import folder_lock
from gtsd_tui.services.folder_ops import apply_renumber, prepare_renumber
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("renumber", parents=[common], help="renumber, re-stamp and re-link after a merge")
    p.add_argument("--dry-run", action="store_true", help="print the plan only")
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.add_argument("--base", metavar="REF", help="never move migrations present on this git ref")
    p.add_argument(
        "--force", action="store_true", help="also move applied / base migrations, and merge clashing snapshots"
    )
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
    if project.load_folder(allow_empty=True).layout == Layout.V1:
        from gtsd_tui.commands.renumber_v1 import run_v1

        return run_v1(args, project)
    ctx = prepare_renumber(project, base=args.base, force=args.force, use_db=not args.offline)
    plan = ctx.plan
    fork_list = forks(project.load_folder())
    blocked = bool(plan.clashes) and not args.force
    if args.json and (args.dry_run or plan.noop or not args.yes or blocked):
        out = {**plan_json(plan, ctx.pinned_by, fork_list), "applied": False}
        if blocked:
            out["refused"] = refusal(plan)
        print_json(out)
        return EXIT_PROBLEMS if blocked or not (plan.noop or args.dry_run) else EXIT_OK
    if plan.noop:
        print("nothing to renumber: the folder is consistent")
        return EXIT_OK
    for line in plan_lines(plan, ctx.pinned_by, fork_list):
        print(shown(line))
    if plan.clashes:
        print(f"{paint('error', 'error')}: schema clashes:" if blocked else "clashes merged anyway (--force):")
        for line in clash_lines(plan):
            print(f"  {shown(line)}")
    if blocked:
        print(f"refused: {shown(refusal(plan))}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.dry_run:
        return EXIT_OK
    ok = confirmed(args.yes, "apply this plan?", "not applied")
    if not ok:
        if ok is False:
            print("cancelled; nothing changed")
        return EXIT_PROBLEMS if ok is None else EXIT_OK
    apply_renumber(project, ctx, wait=args.wait)
    if args.json:
        print_json({"noop": False, "applied": True, **plan_json(plan, ctx.pinned_by, fork_list)})
    else:
        print("renumbered; SQL bytes unchanged (hashes kept)")
    return EXIT_OK
