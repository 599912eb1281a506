"""``gtsd-tui renumber`` on a Drizzle v1 folder: join commuting branches by re-parenting the later one."""

from __future__ import annotations

import argparse

from gtsd_tui.commands.output import confirmed, print_json
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS
from gtsd_tui.services.project import Project

WHY = (
    "v1 folders have no numbers or journal to renumber (drizzle-orm 1.0 runs every folder whose name is "
    "not in the table, in folder-name order); a fork is fixed in the snapshot graph"
)


def run_v1(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.core.merging.reparent import plan_reparent
    from gtsd_tui.services.new_v1 import apply_reparent

    plan = plan_reparent(project.load_folder(refresh=True))
    if args.json and (args.dry_run or plan.noop or plan.refusal or not args.yes):
        print_json(
            {
                "noop": plan.noop,
                "applied": False,
                "layout": "v1",
                "refused": plan.refusal,
                "relinks": [{"folder": r.folder, "old": list(r.old), "new": list(r.new)} for r in plan.relinks],
                "writes": sorted(plan.writes),
            }
        )
        return EXIT_PROBLEMS if plan.refusal or not (plan.noop or args.dry_run) else EXIT_OK
    if plan.refusal:
        print(f"{WHY}.\nnot joined: {plan.refusal}")
        return EXIT_PROBLEMS
    if plan.noop:
        print("nothing to renumber: one line of migrations (no open fork)")
        return EXIT_OK
    print(f"{WHY}: the later branch is re-parented; folder names, SQL and hashes stay")
    for r in plan.relinks:
        print(f"  {r.describe()}")
    if args.dry_run:
        return EXIT_OK
    ok = confirmed(args.yes, "apply this plan?", "not applied")
    if not ok:
        if ok is False:
            print("cancelled; nothing changed")
        return EXIT_PROBLEMS if ok is None else EXIT_OK
    apply_reparent(project, plan)
    if args.json:
        print_json({"noop": False, "applied": True, "relinks": [r.folder for r in plan.relinks]})
    else:
        print("re-parented; run `drizzle-kit check` to see one line")
    return EXIT_OK
