"""The pane: a titled, focusable container with a hidden filter input (``/``) and its body.

The four panes differ only in their body, built from a small table of specs below; the app fills
them from messages.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from gtsd_tui.tui.widgets.rows import RowTable
from gtsd_tui.tui.widgets.sql_preview import SqlPreview

PANES = ("history", "pending", "conflicts", "connections")
TITLES = {"history": "History", "pending": "Pending", "conflicts": "Conflicts", "connections": "Connections"}


def _history() -> list[Widget]:
    return [
        RowTable("Tag", "State", "Applied at", "Hash", id="history-table"),
        Static("", id="history-note", classes="note"),
    ]


def _pending() -> list[Widget]:
    preview = Vertical(SqlPreview(id="preview"), Static("", id="plan-notes", classes="note"), id="preview-box")
    return [
        Horizontal(RowTable("Tag", "State", id="pending-table"), preview, id="pending-body"),
        Static("", id="apply-log", classes="note"),
    ]


def _conflicts() -> list[Widget]:
    return [
        RowTable("", "Code", "Files", "Message", id="conflicts-table"),
        Static("", id="conflicts-note", classes="note"),
    ]


def _connections() -> list[Widget]:
    return [
        Static("waiting for the first poll…", id="stats-summary"),
        Horizontal(
            RowTable("Database", "Sessions", "Active", "In tx", id="databases-table"),
            RowTable("Application", "Sessions", "Active", "In tx", id="applications-table"),
            id="connections-body",
        ),
    ]


BODIES: dict[str, tuple[str, Callable[[], list[Widget]]]] = {
    "history": ("filter tags…", _history),
    "pending": ("filter tags…", _pending),
    "conflicts": ("filter findings…", _conflicts),
    "connections": ("filter…", _connections),
}


class Pane(Vertical):
    def __init__(self, name: str) -> None:
        super().__init__(id=f"pane-{name}", classes="pane")
        self.pane_name = name
        self.border_title = f"{PANES.index(name) + 1} {TITLES[name]}"

    def compose(self) -> ComposeResult:
        hint, body = BODIES[self.pane_name]
        yield Input(placeholder=hint, id=f"{self.pane_name}-filter", classes="filter")
        yield from body()
