"""``gtsd-tui preflight``: what the pending migrations will do to the rows already there, read-only.

(The folder refusals ``migrate`` makes before connecting live in :mod:`gtsd_tui.core.migrations.preflight`; this
subcommand is the data preflight of :mod:`gtsd_tui.services.data_preflight`.)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from gtsd_tui.commands.output import paint, print_json
from gtsd_tui.core.display import shown
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.services.data_preflight import DataPreflight

_KEY = {"fails": "error", "loses": "warning", "estimate": "warning", "unchecked": "warning", "ok": "applied"}


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "preflight",
        parents=[common],
        help="read-only: which existing rows the pending migrations fail on or destroy",
    )
    p.add_argument("--to", metavar="TAG", help="check up to and including TAG")
    p.add_argument("--allow-out-of-order", action="store_true", help="as migrate --allow-out-of-order")
    p.add_argument("--allow-symlinks", action="store_true", help="as migrate --allow-symlinks")
    p.add_argument(
        "--preflight-timeout",
        "--timeout",
        dest="preflight_timeout",
        metavar="DURATION",
        help="statement_timeout of each check (default GTSD_PREFLIGHT_TIMEOUT, else 5s); "
        "a check that runs longer is estimated from statistics",
    )
    p.add_argument("--all", action="store_true", help="also list the checks that found nothing")


def print_preflight(result: DataPreflight, out: Any = None, *, everything: bool = False) -> None:
    out = out or sys.stdout
    for f in result.findings:
        if f.status == "ok" and not everything:
            continue
        print(paint(shown(f.line()), _KEY[f.status], out), file=out)
        if f.status in ("fails", "loses") and f.outcome.query:
            print(f"  query: {shown(f.outcome.query)}", file=out)
    fails = len(result.failing)
    warn = sum(f.status != "ok" and f.status != "fails" for f in result.findings)
    checked = sum(f.status != "unchecked" for f in result.findings)
    print(
        f"preflight: {len(result.tags)} pending migration(s), {len(result.findings)} check(s) "
        f"({checked} answered): {fails} would fail, {warn} warning(s)",
        file=out,
    )


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.apply import ApplyRequest, data_preflight
    from gtsd_tui.services.data_preflight import timeout_setting

    timeout = timeout_setting(project, args.preflight_timeout)
    request = ApplyRequest(
        to_tag=args.to, allow_out_of_order=args.allow_out_of_order, allow_symlinks=args.allow_symlinks
    )
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        sys.stderr.write(f"\rchecking {done + 1}/{total}\x1b[K")
        sys.stderr.flush()

    result = data_preflight(project, request, timeout, progress if tty else None)
    if tty:
        sys.stderr.write("\r\x1b[K")
    if args.json:
        print_json(result.as_json())
    else:
        print_preflight(result, everything=args.all)
    return result.exit_code
