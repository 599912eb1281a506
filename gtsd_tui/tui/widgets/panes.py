"""The four panes. Each is a focusable container with a title; the app fills them from messages."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from gtsd_tui.tui.widgets.rows import RowTable
from gtsd_tui.tui.widgets.sql_preview import SqlPreview

PANES = ("history", "pending", "conflicts", "connections")
TITLES = {"history": "History", "pending": "Pending", "conflicts": "Conflicts", "connections": "Connections"}


class Pane(Vertical):
    """A titled pane with a hidden filter input (``/``)."""

    def __init__(self, name: str) -> None:
        super().__init__(id=f"pane-{name}", classes="pane")
        self.pane_name = name
        self.border_title = f"{PANES.index(name) + 1} {TITLES[name]}"

    def filter_input(self) -> Input:
        return self.query_one(Input)


def table(id: str, *columns: str) -> RowTable:
    return RowTable(*columns, id=id)


class HistoryPane(Pane):
    def __init__(self) -> None:
        super().__init__("history")

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter tags…", id="history-filter", classes="filter")
        yield table("history-table", "Tag", "State", "Applied at", "Hash")
        yield Static("", id="history-note", classes="note")


class PendingPane(Pane):
    def __init__(self) -> None:
        super().__init__("pending")

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter tags…", id="pending-filter", classes="filter")
        with Horizontal(id="pending-body"):
            yield table("pending-table", "Tag", "State")
            with Vertical(id="preview-box"):
                yield SqlPreview(id="preview")
                yield Static("", id="plan-notes", classes="note")
        yield Static("", id="apply-log", classes="note")


class ConflictsPane(Pane):
    def __init__(self) -> None:
        super().__init__("conflicts")

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter findings…", id="conflicts-filter", classes="filter")
        yield table("conflicts-table", "", "Code", "Files", "Message")
        yield Static("", id="conflicts-note", classes="note")


class ConnectionsPane(Pane):
    def __init__(self) -> None:
        super().__init__("connections")

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter…", id="connections-filter", classes="filter")
        yield Static("waiting for the first poll…", id="stats-summary")
        yield table("connections-table", "Database", "Application", "State", "Count")
