"""``gtsd-tui fleet status|migrate``: many databases (a targets file, or ``--databases-like``) at once."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gtsd_tui import __version__
from gtsd_tui.commands.envs import add_connect_timeout, connect_timeout, summary
from gtsd_tui.commands.fleet_progress import FleetPrinter, print_results
from gtsd_tui.commands.output import print_json
from gtsd_tui.core.display import shown
from gtsd_tui.core.status import APPLIED
from gtsd_tui.core.vocab import PgBouncerMode, TxMode
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.core.fleet import TargetResult
    from gtsd_tui.core.targets import Target

JSON_FORMAT_VERSION = 1


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("fleet", help="status or migrate of many databases at once (--targets, --databases-like)")
    fsub = p.add_subparsers(dest="fleet_command", metavar="ACTION", required=True, parser_class=type(p))
    st = fsub.add_parser("status", parents=[common], help="every target's migration states, in parallel, read-only")
    _targets_options(st)
    add_connect_timeout(st)
    st.add_argument("--exit-code", action="store_true", help="exit 1 also when a target has anything not applied")
    mg = fsub.add_parser("migrate", parents=[common], help="apply pending migrations to every target, in parallel")
    _targets_options(mg)
    mg.add_argument("--fail-fast", action="store_true", help="after a target fails, start no other")
    _apply_options(mg)


def _targets_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--targets", metavar="FILE", help="one URL per line, optional name= prefix, # comments")
    g.add_argument(
        "--databases-like",
        metavar="PATTERN",
        help="every database of --database-url's server whose name is LIKE PATTERN (e.g. 'tenant_%%')",
    )
    p.add_argument("--jobs", type=int, metavar="N", help="targets at once (default min(8, 2 x CPUs))")


def _apply_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", metavar="TAG", help="apply up to and including TAG")
    p.add_argument("--tx", choices=[m.value for m in TxMode], default=TxMode.PER_FILE, help="transactions, as migrate")
    p.add_argument("--allow-out-of-order", action="store_true", help="as migrate")
    p.add_argument("--allow-symlinks", action="store_true", help="as migrate")
    p.add_argument("--lock-timeout", metavar="DURATION", help="as migrate (default GTSD_LOCK_TIMEOUT, else 10s)")
    p.add_argument("--statement-timeout", metavar="DURATION", help="as migrate (default 600s)")
    p.add_argument("--retries", metavar="N", help="as migrate (default GTSD_LOCK_RETRIES, else 0)")
    p.add_argument("--wait", type=float, default=60.0, metavar="S", help="wait for each database's lock (60)")
    p.add_argument(
        "--pgbouncer", choices=[m.value for m in PgBouncerMode], default=PgBouncerMode.AUTO, help="as migrate"
    )


def _jobs(args: argparse.Namespace) -> int | None:
    if args.jobs is not None and not 1 <= args.jobs <= 256:
        raise InputError(f"--jobs {args.jobs}: expected 1 to 256")
    return int(args.jobs) if args.jobs is not None else None


def _targets(args: argparse.Namespace, project: Project, timeout: float) -> list[Target]:
    from gtsd_tui.services.fleet import validate_targets
    from gtsd_tui.services.targets import databases_like, targets_file

    if args.targets:
        targets = targets_file(project.settings, Path(args.targets))
    else:
        targets = databases_like(project.settings, project.resolve_url(), args.databases_like, connect_timeout=timeout)
        if not targets:
            where = project.masked_url.rsplit("/", 1)[0]
            raise InputError(f"no database LIKE {args.databases_like!r} on {where}")
    validate_targets(targets)
    return targets


def run(args: argparse.Namespace, project: Project) -> int:
    jobs = _jobs(args)
    if args.fleet_command == "status":
        return _status(args, project, jobs)
    return _migrate(args, project, jobs)


def _states_line(glyphs: str) -> str:
    return glyphs or "(no migrations)"


def _status(args: argparse.Namespace, project: Project, jobs: int | None) -> int:
    from gtsd_tui.services.fleet import status_many

    timeout = connect_timeout(args)
    folder = project.load_folder(refresh=True)
    statuses = status_many(_targets(args, project, timeout), folder, jobs=jobs, connect_timeout=timeout)
    behind = any(t.report and any(s.state != APPLIED for s in t.report.items) for t in statuses)
    code = EXIT_PROBLEMS if any(t.problems for t in statuses) or (args.exit_code and behind) else EXIT_OK
    if args.json:
        print_json(
            {
                "version": JSON_FORMAT_VERSION,
                "tool_version": __version__,
                "migrations_dir": str(project.folder_path),
                "migrations": [m.tag for m in folder.migrations],
                "targets": [t.as_json() for t in statuses],
                "exit_code": code,
            }
        )
        return code
    width = max(len(shown(t.name)) for t in statuses)
    print(f"{shown(str(project.folder_path))}: {len(folder.migrations)} migration(s), {len(statuses)} target(s)")
    for t in statuses:
        glyphs = "".join(s.glyph for s in t.report.items) if t.report else "○"
        print(f"{shown(t.name).ljust(width)}  {_states_line(glyphs)}  {shown(summary(t))}")
    down = sum(1 for t in statuses if not t.reachable)
    bad = sum(1 for t in statuses if t.problems) - down
    current = sum(
        1 for t in statuses if t.report and not t.problems and all(s.state == APPLIED for s in t.report.items)
    )
    lagging = len(statuses) - down - bad - current
    print(f"{current} up to date, {lagging} with pending migrations, {bad} with problems, {down} unreachable")
    return code


def _migrate(args: argparse.Namespace, project: Project, jobs: int | None) -> int:
    from gtsd_tui.commands.interrupt import cancellable
    from gtsd_tui.commands.migrate import apply_request
    from gtsd_tui.services.fleet import FleetCancel, check_folder, migrate_many

    if args.wait < 0:
        raise InputError(f"--wait {args.wait:g}: expected seconds >= 0")
    request = apply_request(args, project)
    check_folder(project.settings, request)  # the folder's refusals before any connection, pg_database's too
    targets = _targets(args, project, 5.0)
    printer = FleetPrinter([t.name for t in targets], quiet=bool(args.json))
    cancel = FleetCancel()
    t0 = time.perf_counter()
    try:
        results: list[TargetResult] = cancellable(
            lambda: migrate_many(
                project.settings,
                targets,
                request,
                jobs=jobs,
                fail_fast=args.fail_fast,
                listen=printer.handle,
                cancel=cancel,
            ),
            cancel.cancel,
            "running migrations roll back, no new target starts",
        )
    finally:
        printer.close()
    seconds = time.perf_counter() - t0
    failed = [r for r in results if not r.ok]
    code = max((r.exit_code for r in failed), default=EXIT_OK)
    if args.json:
        print_json(
            {
                "version": JSON_FORMAT_VERSION,
                "tool_version": __version__,
                "migrations_dir": str(project.folder_path),
                "targets": [r.as_json() for r in results],
                "ok": sum(1 for r in results if r.ok),
                "failed": sum(1 for r in results if r.started and not r.ok),
                "not_started": sum(1 for r in results if not r.started),
                "seconds": round(seconds, 3),
                "exit_code": code,
            }
        )
    else:
        print_results(results, seconds)
    return code
