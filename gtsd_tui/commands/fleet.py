"""``gtsd-tui fleet status|migrate``: many databases (a targets file, or ``--databases-like``) at once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gtsd_tui import __version__
from gtsd_tui.commands.envs import add_connect_timeout, connect_timeout, summary
from gtsd_tui.commands.fleet_rollout import add_rollout_options, add_status_options
from gtsd_tui.commands.output import print_json
from gtsd_tui.core.display import shown
from gtsd_tui.core.migrations.modes import PgBouncerMode, TxMode
from gtsd_tui.core.migrations.status import APPLIED
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.drift_status import drift_line, target_states
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.core.fleets.targets import Target

JSON_FORMAT_VERSION = 1


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("fleet", help="status or migrate of many databases at once (--targets, --databases-like)")
    fsub = p.add_subparsers(dest="fleet_command", metavar="ACTION", required=True, parser_class=type(p))
    st = fsub.add_parser("status", parents=[common], help="every target's migration states, in parallel, read-only")
    _targets_options(st)
    add_connect_timeout(st)
    st.add_argument("--exit-code", action="store_true", help="exit 1 also when a target has anything not applied")
    add_status_options(st)
    mg = fsub.add_parser("migrate", parents=[common], help="apply pending migrations to every target, in parallel")
    _targets_options(mg, resume=True)
    add_rollout_options(mg)
    mg.add_argument(
        "--preflight",
        action="store_true",
        help="run the data preflight on each target first; a target where a statement is proven to fail is refused",
    )
    mg.add_argument("--preflight-timeout", metavar="DURATION", help="as migrate (default 5s)")
    _apply_options(mg)


def _targets_options(p: argparse.ArgumentParser, *, resume: bool = False) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    if resume:
        g.add_argument("--resume", metavar="RECORD", help="continue the rollout of RECORD (its targets, waves, policy)")
    g.add_argument("--targets", metavar="FILE", help="one URL per line, optional name= prefix, # comments")
    g.add_argument(
        "--databases-like",
        metavar="PATTERN",
        help="every database of --database-url's server whose name is LIKE PATTERN (e.g. 'tenant_%%')",
    )
    p.add_argument("--jobs", type=int, metavar="N", help="targets at once (default min(8, 2 x CPUs))")


def _apply_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", metavar="TAG", help="apply up to and including TAG")
    p.add_argument("--tx", choices=[m.value for m in TxMode], help="transactions, as migrate (default per-file)")
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
    from gtsd_tui.commands.fleet_rollout import rollout_cell, status_records
    from gtsd_tui.core.fleets.rollout import merge
    from gtsd_tui.services.fleet import status_many

    timeout = connect_timeout(args)
    folder = project.load_folder(refresh=True)
    records = status_records(args, project)  # a missing or malformed record: exit 2 before any connection
    rollout = merge(records) if records else None
    statuses = status_many(_targets(args, project, timeout), folder, jobs=jobs, connect_timeout=timeout)
    behind = any(t.report and any(s.state != APPLIED for s in t.report.items) for t in statuses)
    code = EXIT_PROBLEMS if any(t.problems for t in statuses) or (args.exit_code and behind) else EXIT_OK
    drift = target_states(_targets(args, project, timeout), folder, statuses, timeout=timeout, jobs=jobs)
    if args.json:
        print_json(
            {
                "version": JSON_FORMAT_VERSION,
                "tool_version": __version__,
                "schema": {name: state.as_json() for name, state in drift.items()},  # drift, by target
                "migrations_dir": str(project.folder_path),
                "migrations": [m.tag for m in folder.migrations],
                "targets": [
                    {**t.as_json(), **({"rollout": _cell_json(rollout, t.name)} if rollout is not None else {})}
                    for t in statuses
                ],
                **({"rollouts": [r.as_json() for r in records]} if records else {}),
                "exit_code": code,
            }
        )
        return code
    width = max(len(shown(t.name)) for t in statuses)
    print(f"{shown(str(project.folder_path))}: {len(folder.migrations)} migration(s), {len(statuses)} target(s)")
    for t in statuses:
        glyphs = "".join(s.glyph for s in t.report.items) if t.report else "○"
        cell = f"  {shown(rollout_cell(rollout.get(t.name)))}" if rollout is not None else ""
        print(f"{shown(t.name).ljust(width)}  {_states_line(glyphs)}  {shown(summary(t))}{cell}")
    down = sum(1 for t in statuses if not t.reachable)
    print(shown(drift_line(drift)))
    bad = sum(1 for t in statuses if t.problems) - down
    current = sum(
        1 for t in statuses if t.report and not t.problems and all(s.state == APPLIED for s in t.report.items)
    )
    lagging = len(statuses) - down - bad - current
    print(f"{current} up to date, {lagging} with pending migrations, {bad} with problems, {down} unreachable")
    for r in records:
        print(shown(f"{r.summary()} ({r.path})"))
    return code


def _cell_json(rollout: dict[str, Any], name: str) -> dict[str, Any] | None:
    t = rollout.get(name)
    return t.as_json() if t is not None else None


def _migrate(args: argparse.Namespace, project: Project, jobs: int | None) -> int:
    from gtsd_tui.commands.fleet_rollout import migrate

    return migrate(args, project, jobs, _targets)
