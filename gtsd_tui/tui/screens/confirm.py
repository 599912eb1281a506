"""Confirm dialog for destructive actions: Cancel focused, ``y``/``n``/``esc``; with a typed confirmation
the box is focused and enter in it confirms once the name is typed exactly."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from gtsd_tui.tui.actions import bindings


class ConfirmScreen(ModalScreen[bool | None]):
    """Dismissed with True (y), False (n / Cancel) or, with ``escape_aborts``, None on escape (a question
    whose "no" still goes ahead, like "back up first?", must have a way out)."""

    BINDINGS = bindings("confirm")
    # focused once composed (a query in on_mount failed when the app closed first). A typed confirmation
    # starts in its box (with Cancel focused, letters went nowhere and the "n" of a name such as
    # "staging" pressed No); otherwise the safe Cancel. The first match in the DOM wins.
    AUTO_FOCUS = "#typed, #cancel"

    def __init__(
        self,
        title: str,
        body: str,
        *,
        action_label: str = "Apply",
        type_to_confirm: str | None = None,
        cancel_label: str = "Cancel",
        escape_aborts: bool = False,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.cancel_label = cancel_label
        self.escape_aborts = escape_aborts
        self.title_text = title
        self.body = body
        self.action_label = action_label
        self.type_to_confirm = type_to_confirm

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)  # this dialog's keys, not the main screen's keys under it
        with Vertical(id="dialog", classes="danger"):
            yield Label(self.title_text, id="dialog-title")
            with VerticalScroll(id="dialog-body"):
                yield Static(self.body, markup=False)
            if self.type_to_confirm:
                yield Label(f"Type {self.type_to_confirm!r} to confirm:")
                yield Input(id="typed")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.cancel_label} \\[n]", id="cancel", variant="default")
                yield Button(f"{self.action_label} \\[y]", id="ok", variant="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()  # enter in the box: applies only when the name is typed exactly

    def _typed_ok(self) -> bool:
        if not self.type_to_confirm:
            return True
        return self.query_one("#typed", Input).value == self.type_to_confirm

    def action_confirm(self) -> None:
        if self.type_to_confirm and not self._typed_ok():
            self.notify(f"type {self.type_to_confirm!r} first", severity="warning")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_escape(self) -> None:
        self.dismiss(None if self.escape_aborts else False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.action_confirm()
        else:
            self.dismiss(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # typing "y" into the confirmation box must not confirm
        return not (action == "confirm" and isinstance(self.focused, Input))


class ChoiceScreen(ModalScreen[str | None]):
    """A destructive question with more than one way to go ahead, each on its own key (e.g. ``b`` back
    up then reset, ``r`` reset without backup). ``n``, escape and the focused Cancel dismiss with None:
    no answer ever goes ahead by default."""

    BINDINGS = bindings("choice")
    AUTO_FOCUS = "#cancel"  # the safe choice, focused once composed

    def __init__(self, title: str, body: str, choices: list[tuple[str, str]]) -> None:
        """``choices``: (key, label) pairs, each a way to go ahead; dismissed with the key chosen."""
        super().__init__(classes="dialog-screen")
        self.title_text, self.body, self.choices = title, body, choices
        for key, label in choices:
            self._bindings.bind(key, f"choose('{key}')", label)

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)
        with Vertical(id="dialog", classes="danger"):
            yield Label(self.title_text, id="dialog-title")
            with VerticalScroll(id="dialog-body"):
                yield Static(self.body, markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel \\[n]", id="cancel", variant="default")
                for key, label in self.choices:
                    yield Button(f"{label} \\[{key}]", id=f"choice-{key}", variant="error")

    def action_choose(self, key: str) -> None:
        self.dismiss(key)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        self.dismiss(button_id.removeprefix("choice-") if button_id.startswith("choice-") else None)
