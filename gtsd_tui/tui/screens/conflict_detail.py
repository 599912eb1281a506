"""One clash or overlap of the Conflicts pane: the object's base, ours and theirs side by side."""

from __future__ import annotations

import json
from typing import Any

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


def _lines(value: Any) -> list[str]:
    """A definition (schema-conflict) or the statements (overlap) as lines."""
    if value is None:
        return ["(absent)"]
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value and " " in value[0]:
        return [line for v in value for line in (v, "")]
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines()


def side(value: Any, against: Any, lexer: str) -> Syntax:
    """Highlighted text; lines that differ from ``against`` are marked."""
    lines = _lines(value)
    other = set(_lines(against)) if against is not None else set()
    changed = {i for i, line in enumerate(lines, 1) if line not in other}
    return Syntax("\n".join(lines), lexer, line_numbers=False, word_wrap=True, highlight_lines=changed)


class ConflictDetailScreen(ModalScreen[None]):
    """``detail`` is a finding's detail: kind, object, reason, base, ours, theirs (+ migrations)."""

    CSS_PATH = "conflict_detail.tcss"
    BINDINGS = [Binding("escape,q", "close", "Close", id="conflict.close")]

    def __init__(self, code: str, message: str, detail: dict[str, Any]) -> None:
        super().__init__(classes="dialog-screen")
        self.code, self.message, self.detail = code, message, detail
        self.texts: dict[str, str] = {}  # each side as plain text (what the columns show)

    def compose(self) -> ComposeResult:
        d = self.detail
        overlap = self.code == "overlap"
        lexer = "sql" if overlap else "json"
        columns = [
            ("base", d.get("base_snapshot"), d.get("base"), None),
            ("ours", d.get("ours_migration"), d.get("ours"), d.get("base")),
            ("theirs", d.get("theirs_migration"), d.get("theirs"), d.get("ours") if overlap else d.get("base")),
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
