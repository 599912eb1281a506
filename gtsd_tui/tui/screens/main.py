"""The main screen: the four panes, and the dispatch of what the workers report: the shared messages
(state, findings, preview, statistics, folder changes) to the panes, every feature's result
(``FeatureMessage``) to the handler its feature registered.

Workers post their results here (not to the app): once the screen is gone, late results are dropped
with it, so no handler runs against widgets that no longer exist.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.events import DescendantFocus, Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from gtsd_tui.tui import actions, features, flows, live
from gtsd_tui.tui import messages as msg
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.widgets.conflicts_pane import ConflictsPane, unread_note
from gtsd_tui.tui.widgets.connections_pane import ConnectionsPane
from gtsd_tui.tui.widgets.header import HeaderBar, TabStrip
from gtsd_tui.tui.widgets.history_pane import HistoryPane
from gtsd_tui.tui.widgets.keys_footer import KeysFooter
from gtsd_tui.tui.widgets.pane import PANES, Pane
from gtsd_tui.tui.widgets.pending_pane import PendingPane
from gtsd_tui.tui.widgets.rows import RowTable

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleState
    from gtsd_tui.services.files import Signature
    from gtsd_tui.tui.app import GtsdApp


NARROW = 100  # columns: below, one pane at a time with clickable tabs
# panes whose data comes after the first state (check's findings, the first statistics poll): composed
# after the first frame with tags at any width (until then their border and title show, empty)
LATER = ("conflicts", "connections")


def _deferred(pane: Pane, defer: bool) -> Pane:
    pane.deferred = defer
    return pane


class MainScreen(Screen[None]):
    """Owns the layout (the panes, which one is active, the narrow mode) and the dispatch of worker
    results; the app keeps the keys and the workers."""

    BINDINGS = actions.bindings("main")  # tab / shift+tab: the next / previous pane, at any width

    # Textual focuses the first focusable widget as the screen starts ("*": History's hidden filter
    # input); start() then moved the focus to Pending, and each move restyled two panes (the "active"
    # class, set and reset six times before the first frame with data). Pending's list from the start.
    AUTO_FOCUS = "#pending-table"

    def __init__(self, app: GtsdApp) -> None:
        super().__init__(id="main")
        self.console = app
        self.first_preview = True
        self.first_frame = False  # the first frame with tags was asked for: every pane may be composed

    def compose(self) -> ComposeResult:
        # the layout of the terminal's size and the active pane are set before the first styling: set
        # after the mount, each class restyled every widget under it again (a third of the first paint)
        narrow = self.console.size.width < NARROW
        self.set_class(narrow, "narrow", update=False)  # its own style does not depend on it
        yield HeaderBar()  # DbProblem is mounted under it the first time there is a problem (live.py)
        if narrow:  # the tab strip shows on a narrow terminal only: mounted when the terminal gets narrow
            yield TabStrip()
        with Grid(id="grid"):  # narrow: only Pending is shown; the others are composed when first shown
            yield _deferred(HistoryPane(), narrow)
            yield PendingPane().add_class("active", update=False)
            yield _deferred(ConflictsPane(), True)
            yield _deferred(ConnectionsPane(), True)
        yield KeysFooter(show_command_palette=not narrow)

    def on_mount(self) -> None:
        self.console.start()

    # ---- layout and focus ---------------------------------------------------------------------

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#pane-{name}", Pane)

    def layout_for(self, width: int) -> None:
        narrow = width < NARROW
        if narrow and self.is_attached and not self.query_children(TabStrip):
            self.mount(TabStrip(), before="#grid")
        if narrow != self.has_class("narrow"):
            self.set_class(narrow, "narrow")
        if not narrow:  # every pane shows (those of LATER once the first frame with tags is asked for)
            for name in PANES:
                if self.first_frame or name not in LATER:
                    self.pane(name).materialize()
        # narrow: the footer keeps its width for the pane's keys, each label in full; ctrl+p still opens
        # the palette and Help names it
        footer = self.query_one(Footer)
        if footer.show_command_palette != (not narrow):
            footer.show_command_palette = not narrow
        self.update_tabs()

    def on_resize(self, event: Resize) -> None:
        self.layout_for(event.size.width)

    def active_pane(self) -> str:
        node: Widget | None = self.focused
        while node is not None:
            if isinstance(node, Pane):
                return node.NAME
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return "pending"

    def update_tabs(self, active: str | None = None) -> None:
        """``active``: the pane being focused (Textual moves the focus after this call returns)."""
        active = active or self.active_pane()
        for name in PANES:
            pane = self.pane(name)
            if pane.has_class("active") != (name == active):
                pane.set_class(name == active, "active")
        for tabs in self.query_children(TabStrip):  # none while the terminal was never narrow
            tabs.show(PANES, active)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if self.console.alive:
            self.update_tabs()
            self.console.refresh_bindings()

    def action_cycle_pane(self, step: int) -> None:
        self.focus_pane(PANES[(PANES.index(self.active_pane()) + step) % len(PANES)])

    def focus_pane(self, name: str) -> None:
        pane = self.pane(name)
        pane.materialize()
        pane.set_class(True, "active")
        pane.focus_main()
        self.update_tabs(name)  # not the pane the focus is still on: it would take "active" back, then return it

    # ---- what the workers report --------------------------------------------------------------

    @on(msg.OutlineLoaded)
    def _outline_loaded(self, event: msg.OutlineLoaded) -> None:
        self.show_outline(event.tags)

    def show_outline(self, tags: list[str]) -> None:
        """The folder's tags before the database is read: Pending lists them all as "reading", History
        says it is reading (nothing is called applied or pending before the state says so)."""
        if self.console.state is not None:
            return
        self.query_one(PendingPane).show_outline(tags)
        self.query_one(HistoryPane).show_reading()
        self.call_after_refresh(self._compose_hidden)
        if os.environ.get("GTSD_TUI_EXIT_WHEN_READY") == "tags":  # benchmarks: exit at the first frame with tags
            self.call_after_refresh(self._signal_ready)

    @on(msg.StateLoaded)
    def _state_loaded(self, event: msg.StateLoaded) -> None:
        self.show_state(event.state, event.signature)

    def show_state(self, state: ConsoleState, signature: Signature) -> None:
        """A refresh on screen. The first screen with data is the folder's migrations listed with their
        states (applied/pending need the database's rows): the ready hook fires after that paint."""
        flows.state_loaded(self.console, state, signature)
        from gtsd_tui.tui.features import branches, drift  # (not on the first frame's path: imported here)

        # the marks' workers import psycopg and read the catalog: after this paint, not competing with it
        self.call_after_refresh(drift.check_mark, self.console, state)
        self.call_after_refresh(branches.check_mark, self.console, state)
        if os.environ.get("GTSD_TUI_EXIT_WHEN_READY"):  # benchmarks: exit at the first screen with data
            self.call_after_refresh(self._signal_ready)
        self.call_after_refresh(self._compose_hidden)

    def _compose_hidden(self) -> None:
        """After the first frame with tags: the panes left out of it are composed (hidden until shown), with
        the cyclic GC on again (off since Textual's import: launch.py)."""
        self.console.release_gc()
        self.first_frame = True
        for name in PANES:
            self.pane(name).materialize()

    def _signal_ready(self) -> None:
        """The first screen with data is painted: tell a benchmark when (``GTSD_TUI_READY_FILE``) and exit."""
        out = os.environ.get("GTSD_TUI_READY_FILE")
        if out:
            Path(out).write_text(repr(time.time()))
        self.console.exit()

    @on(msg.FindingsLoaded)
    def _findings_loaded(self, event: msg.FindingsLoaded) -> None:
        if event.state is self.console.state:  # else a newer state is shown; its own findings follow
            event.state.findings = event.findings
            self.query_one(ConflictsPane).show(event.findings, unread_note(event.state))
            self.console.refresh_bindings()

    @on(msg.FolderChanged)
    def _folder_changed(self) -> None:
        if not self.console.busy:
            flows.reload(self.console)

    @on(PendingPane.PreviewWanted)
    def _preview_wanted(self, event: PendingPane.PreviewWanted) -> None:
        if self.first_preview:  # after the first paint: its highlighting would compete with that screen
            self.first_preview = False
            self.call_after_refresh(flows.load_preview, self.console, event.tag, event.error_line)
        else:  # not deferred: a callback queued on a dialog closed before its refresh would be lost
            flows.load_preview(self.console, event.tag, event.error_line)

    @on(msg.PreviewLoaded)
    def _preview_loaded(self, event: msg.PreviewLoaded) -> None:
        self.query_one(PendingPane).show_preview(event.preview)

    @on(RowTable.Selected, "#history-table, #pending-table")
    def _row_selected(self) -> None:
        actions.run(self.console, "open")  # enter: the table takes the key and says so with Selected

    @on(ConflictsPane.Opened)
    def _finding_opened(self, event: ConflictsPane.Opened) -> None:
        flows.open_finding(self.console, event.finding)

    @on(msg.StatsUpdated)
    def _stats_updated(self, event: msg.StatsUpdated) -> None:
        live.schedule_stats(self.console)
        pane = self.query_one(ConnectionsPane)
        if event.stats is None:
            pane.show_error(event.error or "no statistics")
            state = self.console.state
            # the server may be gone: the header must say so. Not over a read in flight: a read replaced
            # is dropped, and a poll failing every interval would replace each before it lands
            if state is not None and state.db.connected and not self.console.workers_in("state"):
                flows.reload(self.console)
        else:
            pane.show(event.stats)
            if self.console.busy_state == Busy.APPLYING:
                from gtsd_tui.tui.features.apply import name_blockers

                name_blockers(self.console, event.stats)

    def on_feature_message(self, event: features.FeatureMessage) -> None:
        """Every feature's result: its feature's handler (``@features.handles``)."""
        features.dispatch(self.console, event)
