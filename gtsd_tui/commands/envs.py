"""``gtsd-tui envs``: every environment of the project side by side, read-only, in parallel."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gtsd_tui import __version__
from gtsd_tui.commands.output import paint, print_json
from gtsd_tui.core.display import shown
from gtsd_tui.core.fleets.fleet import TargetStatus
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.project import Project

JSON_FORMAT_VERSION = 1
UNREACHABLE = "○ unreachable"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "envs",
        parents=[common],
        help="every environment (.env, .env.NAME) side by side: states, newest applied, differences",
    )
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="only these environments (default = .env; NAME = .env.NAME); default: all of them",
    )
    add_connect_timeout(p)


def add_connect_timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to wait for each database's connection (default 5)",
    )


def connect_timeout(args: argparse.Namespace) -> float:
    value = float(args.connect_timeout)
    if not 0 < value <= 300:
        raise InputError(f"--connect-timeout {value:g}: expected seconds between 0 and 300")
    return value


def summary(t: TargetStatus) -> str:
    """One line about one database: version, newest applied, counts; or why it is unreachable."""
    if not t.reachable:
        return f"unreachable: {t.error}"
    counts = {k: n for k, n in t.counts.items() if n}
    parts = [f"PostgreSQL {t.server_version}" if t.server_version else "", f"newest {t.newest_applied or '-'}"]
    parts.append(", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()) or "no migrations")
    return "  ".join(p for p in parts if p)


def cell(t: TargetStatus, tag: str) -> tuple[str, str]:
    """The text of one migration x environment cell and its colour key."""
    if not t.reachable or t.report is None:
        return UNREACHABLE, "error"
    st = next((s for s in t.report.items if s.migration.tag == tag), None)
    if st is None:
        return "-", ""
    return f"{st.glyph} {st.label}", st.state


def print_matrix(tags: list[str], statuses: list[TargetStatus]) -> None:
    heads = ["MIGRATION", *[t.name for t in statuses]]
    rows = [[(tag, "")] + [cell(t, tag) for t in statuses] for tag in tags]
    if any(t.report and t.report.unknown_rows for t in statuses):
        counts = [(str(len(t.report.unknown_rows)) if t.report else "", "") for t in statuses]
        rows.append([("(rows no file explains)", ""), *counts])
    widths = [max([len(shown(h)), *(len(shown(r[i][0])) for r in rows)]) for i, h in enumerate(heads)]
    print("  ".join(shown(h).ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip())
    for r in rows:
        cells = []
        for (text, key), w in zip(r, widths, strict=True):
            padded = shown(text).ljust(w)
            cells.append(paint(padded, key) if key else padded)
        print("  ".join(cells).rstrip())


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.fleet import envs_overview

    names = list(args.names) + ([args.env] if getattr(args, "env", None) else [])
    timeout = connect_timeout(args)
    overview = envs_overview(project, names, connect_timeout=timeout)
    statuses = overview.statuses
    if not statuses:
        raise InputError(f"no environments in {project.settings.cwd}: no .env.NAME file and no DATABASE_URL")
    tags = [m.tag for m in overview.folder.migrations]
    code = EXIT_OK if overview.ok else EXIT_PROBLEMS
    drift = _drift(project, names, overview, timeout)
    if args.json:
        print_json(
            {
                "version": JSON_FORMAT_VERSION,
                "tool_version": __version__,
                "migrations_dir": str(project.folder_path),
                "migrations": tags,
                "environments": [
                    {**t.as_json(), "schema": drift[t.name].as_json() if t.name in drift else None} for t in statuses
                ],
                "differences": overview.differences.lines,
                "ok": overview.ok,
                "exit_code": code,
            }
        )
        return code
    print(f"{shown(str(project.folder_path))}: {len(tags)} migration(s), {len(statuses)} environment(s)")
    print_matrix(tags, statuses)
    print()
    width = max(len(shown(t.name)) for t in statuses)
    for t in statuses:
        line = f"{shown(t.name).ljust(width)}  {shown(t.url)}  {shown(summary(t))}"
        if t.name in drift:
            line += f"  {drift[t.name].label}"
        print(paint(line, "error", sys.stdout) if not t.reachable else line)
    for line in overview.differences.lines:
        print(paint("! ", "warning") + shown(line))
    for t in statuses:
        for w in t.report.warnings if t.report else []:
            print(f"warning: {shown(t.name)}: {shown(w)}", file=sys.stderr)
    return code


def _drift(project: Project, names: list[str], overview: Any, timeout: float) -> dict[str, Any]:
    """Each reachable environment's drift flag (services.drift_status), by name."""
    import os

    from gtsd_tui.services.drift_status import target_states
    from gtsd_tui.services.targets import discover_envs

    targets = discover_envs(project.settings, names, os.environ)
    return target_states(targets, overview.folder, overview.statuses, timeout=timeout)
