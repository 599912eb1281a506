"""A failed migration: where (file:line:column), SQLSTATE, message, detail and hint."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from gtsd_tui.tui.actions import bindings


class ErrorScreen(ModalScreen[None]):
    BINDINGS = bindings("error")
    AUTO_FOCUS = "#close"  # focused once composed (a query in on_mount fails if the app closes first)

    def __init__(self, title: str, where: str, lines: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.where, self.lines = title, where, lines

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)  # this dialog's keys, not the main screen's keys under it
        with Vertical(id="dialog", classes="error"):
            yield Label(f"✗ {self.title_text}", id="dialog-title")
            yield Static(self.where, id="error-where", markup=False)
            yield Static("\n".join(self.lines), id="error-body", markup=False)
            yield Button("Close \\[esc]", id="close")

    def action_close(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)
