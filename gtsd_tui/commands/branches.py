"""``gtsd-tui branches [--json] [--prune] [--yes]``: the databases parked for git branches (issue 25)."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import confirmed
from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("branches", parents=[common], help="databases parked for git branches (git install --branch-db)")
    p.add_argument("--prune", action="store_true", help="drop those of branches that no longer exist")
    p.add_argument("--yes", action="store_true", help="do not ask")


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _age(s: float) -> str:
    if s < 120:
        return f"{s:.0f}s"
    if s < 7200:
        return f"{s / 60:.0f}m"
    if s < 172800:
        return f"{s / 3600:.0f}h"
    return f"{s / 86400:.0f}d"


def _match(m: bool | None) -> str:
    return "gone" if m is None else ("yes" if m else "no")


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services import branch_db

    url = project.resolve_url()
    state = branch_db.current_branch_state(project, url)
    parked = branch_db.list_parked(project, url)
    gone = [p for p in parked if not p.branch_exists and not p.stale]
    dropped: list[str] = []
    if args.prune and gone:
        names = ", ".join(shown(p.branch) for p in gone)
        ok = confirmed(args.yes, f"drop the databases of {names} (branches that no longer exist)?", "nothing pruned")
        if not ok:
            return EXIT_PROBLEMS if ok is None else EXIT_OK
        dropped = branch_db.prune(project, [p.database for p in gone], url)
        parked = [p for p in parked if p.database not in dropped]
    if args.json:
        from gtsd_tui.commands.output import print_json

        print_json(
            {
                "branch": state.branch,
                "database": state.database,
                "database_branch": state.database_branch,
                "matches": state.matches,
                "applied": state.applied,
                "total": state.total,
                "parked": [
                    {
                        "branch": p.branch,
                        "database": p.database,
                        "size": p.size,
                        "age": round(p.age, 1),
                        "matches": p.matches,
                        "branch_exists": p.branch_exists,
                        "stale": p.stale,
                    }
                    for p in parked
                ],
                "pruned": dropped,
            }
        )
        return EXIT_OK
    whose = shown(state.database_branch) if state.database_branch else "no label"
    applied = "?" if state.applied is None else state.applied
    fits = "matches the folder" if state.matches else f"{applied}/{state.total} applied"
    print(f"in place: {shown(state.database)} ({whose}; {fits}); checked out: {shown(state.branch or '(detached)')}")
    if not parked:
        print("no parked databases")
    for p in parked:
        flag = " (set aside)" if p.stale else ""
        cells = [shown(p.branch) + flag, shown(p.database), _size(p.size), _age(p.age), f"matches: {_match(p.matches)}"]
        print("  " + "  ".join(cells))
    for name in dropped:
        print(f"dropped {shown(name)}")
    return EXIT_OK
