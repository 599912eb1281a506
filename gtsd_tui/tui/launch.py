"""Start the console for a project (imports Textual only when the console is asked for)."""

from __future__ import annotations

from typing import Any


def run_console(project: Any, *, read_only: bool = False) -> int:
    from gtsd_tui.services.console import ConsoleBackend
    from gtsd_tui.tui.app import GtsdApp

    project.notify = lambda message: None  # the header shows the database; no stray lines under the UI
    app = GtsdApp(ConsoleBackend(project), read_only=read_only)
    app.run()
    return 0
