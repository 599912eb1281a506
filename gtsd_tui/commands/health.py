"""``gtsd-tui health``: the guide's health JSON; exit 0 when healthy, 3 when not."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from gtsd_tui.commands.output import print_json
from gtsd_tui.errors import EXIT_DATABASE, EXIT_OK, GtsdError, InputError
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    sub.add_parser("health", parents=[common], help='print {"status", "database", "timestamp"}; exit 3 if down')


def run(args: argparse.Namespace, project: Project) -> int:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    try:
        with project.connect(connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        out = {"status": "healthy", "database": "connected", "timestamp": now}
        code = EXIT_OK
    except InputError:  # a malformed URL is the caller's mistake, not an unhealthy database
        raise
    except GtsdError as exc:
        out = {"status": "unhealthy", "database": "disconnected", "timestamp": now, "error": str(exc)}
        code = EXIT_DATABASE
    print_json(out)
    return code
