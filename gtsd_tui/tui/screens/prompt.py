"""Ask for one line of text (the new migration's name); escape cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from gtsd_tui.tui.actions import bindings


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = bindings("prompt")
    AUTO_FOCUS = "Input"  # focused once composed (a query in on_mount fails if the app closes first)

    def __init__(self, title: str, placeholder: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.placeholder = title, placeholder

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)  # this dialog's keys, not the main screen's keys under it
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Input(placeholder=self.placeholder, id="prompt")
            yield Label("enter creates it · esc cancels", classes="note")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
