"""One clash or overlap of the Conflicts pane: the object's base, ours and theirs side by side."""

from __future__ import annotations

import json
from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from gtsd_tui.tui.actions import bindings


def _lines(value: object) -> list[str]:
    """A definition (schema-conflict) or the statements (overlap) as lines."""
    if value is None:
        return ["(absent)"]
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value and " " in value[0]:
        return [line for v in value for line in (v, "")]
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines()


def side(value: object, against: object, lexer: str) -> Text | str:
    """Highlighted text; lines that differ from ``against`` (the other side) are marked with a
    bar and a background (colour and glyph both, for NO_COLOR)."""
    if value is None:
        return "(absent)"
    lines = _lines(value)
    other = set(_lines(against)) if against is not None else set()
    from rich.syntax import Syntax  # pygments: only when a detail opens

    syntax = Syntax("", lexer, theme="ansi_dark", background_color="default")
    out = Text()
    for line in lines:
        changed = bool(other) and line not in other
        body = syntax.highlight(line)
        body.rstrip()
        if changed:
            body.stylize("on #4a2a00")
        out.append("▌ " if changed else "  ", style="bold yellow" if changed else "")
        out.append_text(body)
        out.append("\n")
    out.rstrip()
    return out


class ConflictDetailScreen(ModalScreen[None]):
    """``detail`` is a finding's detail: kind, object, reason, base, ours, theirs (+ migrations)."""

    CSS_PATH = "conflict_detail.tcss"
    BINDINGS = bindings("conflict")

    def __init__(self, code: str, message: str, detail: Mapping[str, object]) -> None:
        super().__init__(classes="dialog-screen")
        self.code, self.message, self.detail = code, message, detail
        self.texts: dict[str, str] = {}  # each side as plain text (what the columns show)

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)  # this dialog's keys, not the main screen's keys under it
        d = self.detail
        overlap = self.code == "overlap"
        lexer = "sql" if overlap else "json"
        columns = [
            ("base", d.get("base_snapshot"), d.get("base"), None),
            ("ours", d.get("ours_migration"), d.get("ours"), d.get("theirs")),
            ("theirs", d.get("theirs_migration"), d.get("theirs"), d.get("ours")),
        ]
        if overlap:
            columns = columns[1:]
        with Vertical(id="conflict-view"):
            yield Label(f"{self.code}: {d.get('kind')} {d.get('object')} — {d.get('reason')}", id="dialog-title")
            yield Static(self.message, id="conflict-message")
            with Horizontal(id="conflict-sides"):
                for name, where, value, against in columns:
                    self.texts[name] = "\n".join(_lines(value))
                    with VerticalScroll(classes="conflict-side", id=f"conflict-{name}"):
                        yield Label(f"{name}" + (f" ({where})" if where else ""), classes="conflict-side-title")
                        yield Static(side(value, against, lexer), classes="conflict-body")

    def action_close(self) -> None:
        self.dismiss(None)
