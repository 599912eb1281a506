"""Full-screen text: a migration file, or the difference between its applied and current versions."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from gtsd_tui.tui.actions import bindings
from gtsd_tui.tui.widgets.sql_preview import SqlPreview


class TextScreen(ModalScreen[None]):
    BINDINGS = bindings("text")

    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)  # this dialog's keys, not the main screen's keys under it
        with Vertical(id="text-view"):
            yield Label(self.title_text, id="dialog-title")
            yield SqlPreview(id="text-preview")

    def on_mount(self) -> None:
        preview = self.query_one(SqlPreview)
        preview.show(self.lines)
        preview.focus()

    def action_close(self) -> None:
        self.dismiss(None)
