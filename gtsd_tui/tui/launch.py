"""Start the console for a project (imports Textual only when the console is asked for)."""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING

from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleService
    from gtsd_tui.tui.app import GtsdApp


def _quiet(message: str) -> None:
    """The header shows the database; no stray lines under the UI."""


def _new_app(backend: ConsoleService, read_only: bool) -> GtsdApp:
    """Textual's import and the app's classes with the cyclic GC off: the import makes tens of thousands
    of objects and no garbage, and the collector's passes over them were about a tenth of the import's
    CPU. Then those objects are frozen (moved out of the collector's generations: later passes skip
    them). The GC stays off until the first frame with tags is painted (``GtsdApp.release_gc``): the
    mount, the styles and the first render made 30-60 collections, 5-8 ms of that frame's CPU; it is
    then on again for good (also if that frame never comes: after two seconds, or when the app ends)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        from gtsd_tui.tui.app import GtsdApp

        app = GtsdApp(backend, read_only=read_only)
    except BaseException:
        if collecting:
            gc.enable()
        raise
    if collecting:
        gc.freeze()
        app.gc_held = True
    return app


def run_console(project: Project, *, read_only: bool = False) -> int:
    from gtsd_tui.services.console import ConsoleBackend

    project.require_folder()  # as every command: a folder that is not there is refused (exit 2), no console
    project.notify = _quiet
    backend = ConsoleBackend(project)
    backend.prefetch()  # first thing: a forked child reads the first state while Textual is imported
    try:
        app = _new_app(backend, read_only)
        try:
            app.run(headless=bool(os.environ.get("GTSD_TUI_HEADLESS")))  # headless: benchmarks and smoke tests
        finally:
            app.release_gc()  # (the app ended before its first frame)
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
