"""The floor of any Textual console: a bare app with a header line, a 20-row DataTable and a footer,
timed from process start to the refresh after its rows are on screen (as the console's ready hook).
Run by bench/tui.py: ``python bench/_textual_floor.py READY_FILE`` (headless, exits there); by
bench/tui_terminal.py: ``python bench/_textual_floor.py --terminal`` (in a tmux pane until ``q``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Static


class Floor(App[None]):
    BINDINGS = [("q", "quit", "Quit"), ("question_mark", "help", "Help")]

    def compose(self) -> ComposeResult:
        yield Static("floor")
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("State", "Tag")
        for i in range(20):
            table.add_row("✓ applied", f"{i:04d}_migration")
        self.call_after_refresh(self.ready)

    def ready(self) -> None:
        if not TERMINAL:
            Path(sys.argv[1]).write_text(repr(time.time()))
            self.exit()


TERMINAL = sys.argv[1:] == ["--terminal"]

if __name__ == "__main__":
    Floor().run(headless=not TERMINAL)
