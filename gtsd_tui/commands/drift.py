"""``gtsd-tui drift``: the database against the snapshot of its newest applied migration."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui import __version__
from gtsd_tui.commands.output import print_json
from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS
from gtsd_tui.services.project import Project

JSON_FORMAT_VERSION = 1


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "drift", parents=[common], help="compare the live schema with the snapshot of the newest applied migration"
    )
    p.add_argument("--at", metavar="TAG", help="compare with this migration's snapshot instead")


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.drift import drift

    report = drift(project, args.at)
    if args.json:
        print_json(
            {
                "version": JSON_FORMAT_VERSION,
                "tool_version": __version__,
                "migrations_dir": str(project.folder_path),
                "database": project.database_json(True),
                **report.as_json(),
            }
        )
    else:
        against = f"{report.snapshot} ({report.tag})" if report.tag else "an empty schema (no migration applied)"
        print(f"{shown(project.masked_url)}  against  {shown(against)}")
        for d in report.differences:
            print(shown(d.line()))
            for stmt in d.statements:
                for line in stmt.rstrip("\n").splitlines():
                    print(f"    {shown(line)}")
        n = len(report.differences)
        print("no drift" if not n else f"{n} difference{'s' if n > 1 else ''}")
    return EXIT_PROBLEMS if report.drift else EXIT_OK
