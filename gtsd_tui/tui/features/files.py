"""The migration files: ``enter`` opens the highlighted one (the diff for a modified one), ``E`` edits
the highlighted pending one in ``$VISUAL`` / ``$EDITOR`` (``tui/editor.py``), Lint (palette) goes to
its findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.tui.features import FeatureMessage, handles
from gtsd_tui.tui.screens.text_view import TextScreen

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleService, ConsoleState
    from gtsd_tui.tui.app import GtsdApp


@dataclass(eq=False, repr=False)
class FileOpened(FeatureMessage):
    """A file (or a modified migration's diff) for the text view."""

    title: str
    lines: Sequence[str]


def open_file(service: ConsoleService, state: ConsoleState, tag: str) -> FileOpened:
    title, lines = service.file_view(state, tag)
    return FileOpened(title, lines)


def action_open(app: GtsdApp) -> None:
    tag = app.main_screen.pane(app.active_pane()).main_table.cursor_key
    if tag is not None and app.state is not None and not tag.startswith("row:"):
        app.run_job("open", partial(open_file, app.service, app.state, tag), exclusive=False)


@handles(FileOpened)
def opened(app: GtsdApp, event: FileOpened) -> None:
    app.push_screen(TextScreen(event.title, event.lines))


def action_edit(app: GtsdApp) -> None:
    from gtsd_tui.tui.editor import edit

    edit(app, app.pending.highlighted)


def action_lint(app: GtsdApp) -> None:
    app.main_screen.focus_pane("pending")
    table = app.pending.findings_table
    if table is not None:  # (none until a file had findings; a hidden table takes no focus either)
        table.focus()
