"""Start the console for a project (imports Textual only when the console is asked for)."""

from __future__ import annotations

import os

from gtsd_tui.services.project import Project


def _quiet(message: str) -> None:
    """The header shows the database; no stray lines under the UI."""


def run_console(project: Project, *, read_only: bool = False) -> int:
    from gtsd_tui.services.console import ConsoleBackend

    project.require_folder()  # as every command: a folder that is not there is refused (exit 2), no console
    project.notify = _quiet
    backend = ConsoleBackend(project)
    backend.prefetch()  # first thing: a forked child reads the first state while Textual is imported
    try:
        from gtsd_tui.tui.app import GtsdApp

        app = GtsdApp(backend, read_only=read_only)
        app.run(headless=bool(os.environ.get("GTSD_TUI_HEADLESS")))  # headless: benchmarks and smoke tests
    finally:
        backend.close()  # a child still reading (Ctrl-C during the start) is stopped and reaped
    if app.fatal is not None:
        from gtsd_tui.errors import InputError

        raise InputError(app.fatal)  # printed by the CLI (passwords scrubbed), exit 2
    if project.embedded:  # said once the screen is gone: the server outlives the console
        import sys

        from gtsd_tui.services.server import EMBEDDED_DIR

        note = f"the embedded PostgreSQL in {EMBEDDED_DIR}/ keeps running (gtsd-tui server stop)"
        print(f"gtsd-tui: {note}", file=sys.stderr)
    return 0
