"""The pane: a titled, focusable container with a filter input (``/``) and its own body.

Each pane is a subclass that owns its state and renders itself (``show(...)``); the app only tells it
what arrived. The filter narrows the pane's own list; its input is mounted at the pane's top the first
time ``/`` opens it (not in the first frame).

A ``deferred`` pane (on a narrow terminal, the panes not shown at start) is composed empty: its
widgets are mounted the first time it is shown (``materialize``), drawn from the state it kept.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from gtsd_tui.tui.widgets.rows import RowTable

PANES = ("history", "pending", "conflicts", "connections")
TITLES = {"history": "History", "pending": "Pending", "conflicts": "Conflicts", "connections": "Connections"}


class Pane(Vertical):
    NAME = "pane"
    HINT = "filter…"

    def __init__(self) -> None:
        super().__init__(id=f"pane-{self.NAME}", classes="pane")
        self.needle = ""
        self.border_title = f"{PANES.index(self.NAME) + 1} {TITLES[self.NAME]}"
        self.deferred = False  # set before the mount: composed empty until ``materialize``

    def compose(self) -> ComposeResult:
        if not self.deferred:
            yield from self.body()

    def materialize(self) -> None:
        """Mount the widgets of a deferred pane and draw what it kept (no-op once composed)."""
        if self.deferred:
            self.mount_all(list(self.body()))
            if self.children:  # mounted (an app that is closing mounts nothing)
                self.deferred = False
                self.redraw()

    def redraw(self) -> None:
        """Draw everything from the pane's state (after ``materialize``)."""
        self.render_rows()

    def body(self) -> ComposeResult:
        yield from ()

    def render_rows(self) -> None:
        """Draw the pane's list again (after its data or its filter changed)."""

    @property
    def main_table(self) -> RowTable:
        return self.query(RowTable).first()

    def focus_main(self) -> None:
        self.main_table.focus()

    @property
    def filter_box(self) -> Input | None:
        """The filter's input, once ``/`` has opened it (not composed before: two hidden inputs styled
        and mounted for nothing were part of the first frame's cost)."""
        found = self.query_children(Input)
        return found.first() if found else None

    async def open_filter(self) -> None:
        """Show the filter and give it the focus now, not later: the keys read in the same burst as ``/``
        (typed quickly, pasted) are queued behind this action (a priority key: ``tui/actions.py``) and go
        to the focused widget, so they are the filter's, not the list's (``a`` is apply). The input is
        mounted the first time (awaited: it can take the focus only once mounted)."""
        box = self.filter_box
        if box is None:
            box = Input(placeholder=self.HINT, id=f"{self.NAME}-filter", classes="filter shown")
            await self.mount(box, before=0)  # at the top of the pane, where the hidden one was
        box.add_class("shown")
        self.screen.set_focus(box)

    def clear_filter(self) -> None:
        box = self.filter_box
        if box is not None:
            box.value = ""
            box.remove_class("shown")
        self.focus_main()

    @on(Input.Changed, ".filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.needle = event.value
        self.render_rows()

    @on(Input.Submitted, ".filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_main()
