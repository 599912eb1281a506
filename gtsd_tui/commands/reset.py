"""``gtsd-tui reset``: drop and recreate a local database, apply every migration, seed; later resets
with unchanged migrations clone a template database instead (sub-second)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gtsd_tui.commands.output import confirmed
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("reset", parents=[common], help="drop, recreate and migrate a local database")
    p.add_argument("--seed", metavar="FILE", help="SQL to run after the migrations")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--allow-db", action="append", metavar="NAME", help="allow this non-local database name")
    p.add_argument("--force", action="store_true", help="allow a URL with sslmode=require")
    p.add_argument("--backup", action="store_true", help="back up first (pg_dump) without asking")
    p.add_argument("--no-template", action="store_true", help="always migrate from scratch")
    p.add_argument("--to", metavar="TAG", help="hold exactly the migrations up to TAG (from per-prefix templates)")
    p.add_argument(
        "--wait", type=float, default=60.0, metavar="S", help="wait up to S seconds for another reset (default 60)"
    )


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.local_guard import require_local

    if args.wait < 0:
        raise InputError(f"--wait {args.wait:g}: must be 0 or more seconds")
    if project.settings.database_url:  # decided from the URL alone, before any connection
        require_local(project.settings.database_url, allow=args.allow_db, force=args.force, source=project.url_source)
    seed = None
    if args.seed:
        try:
            seed = Path(args.seed).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{args.seed}: cannot read: {exc}") from None
    if args.to:
        from gtsd_tui.services.branch_db import check_tag

        check_tag(project, args.to)  # exit 2 before anything is asked or written
    url = project.resolve_url()
    from gtsd_tui.services.reset import target_name

    name = target_name(url)
    upto = f" with the migrations up to {args.to}" if args.to else ""
    ok = confirmed(args.yes, f"drop and recreate database {name!r} at {project.masked_url}{upto}?", "not reset")
    if not ok:
        return EXIT_PROBLEMS if ok is None else EXIT_OK
    if not args.yes and not args.backup and confirmed(False, "back it up first?", "no backup"):
        args.backup = True
    if args.backup:
        from gtsd_tui.services.backup import dump

        print(f"backup: {dump(url, None, project.settings.cwd)}")
    if args.to:
        from gtsd_tui.services.branch_db import reset_to

        timings = reset_to(project, url, args.to, seed=seed, wait=args.wait)
        print("  ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
        return EXIT_OK
    from gtsd_tui.services.reset import reset_database

    timings = reset_database(project, url, seed, use_template=not args.no_template, wait=args.wait)
    print("  ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
    return EXIT_OK
