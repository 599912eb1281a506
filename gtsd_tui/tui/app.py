"""The console: History, Pending, Conflicts and Connections panes over one project."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from gtsd_tui.services.server import console_note
from gtsd_tui.tui import messages as msg
from gtsd_tui.tui.apply_actions import ApplyActions
from gtsd_tui.tui.commands import ConsoleCommands
from gtsd_tui.tui.render import fill, finding_rows, history_rows, pending_rows
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.conflict_detail import ConflictDetailScreen
from gtsd_tui.tui.screens.help import HelpScreen
from gtsd_tui.tui.screens.text_view import TextScreen
from gtsd_tui.tui.stats_view import StatsView
from gtsd_tui.tui.widgets.panes import PANES, Pane
from gtsd_tui.tui.widgets.rows import RowTable
from gtsd_tui.tui.widgets.sql_preview import SqlPreview

NARROW = 100

RETRY_SECONDS = 10


class GtsdApp(ApplyActions, StatsView, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gtsd-tui"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS = [
        Binding("1", "focus_pane('history')", "History", id="pane.history", show=False),
        Binding("2", "focus_pane('pending')", "Pending", id="pane.pending", show=False),
        Binding("3", "focus_pane('conflicts')", "Conflicts", id="pane.conflicts", show=False),
        Binding("4", "focus_pane('connections')", "Connections", id="pane.connections", show=False),
        Binding("enter", "open", "Open", id="open"),
        Binding("a", "apply_to", "Apply to here", id="apply.to"),
        Binding("A", "apply_all", "Apply all", id="apply.all"),
        Binding("n", "renumber", "Renumber", id="renumber"),
        Binding("R", "reset", "Reset DB", id="reset"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", id="filter.clear", show=False),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("q", "quit_console", "Quit", id="quit"),
        Binding("space", "toggle_stats", "Pause stats", id="stats.pause"),
        Binding("plus", "stats_interval(1)", "Slower", id="stats.slower", show=False),
        Binding("minus", "stats_interval(-1)", "Faster", id="stats.faster", show=False),
        Binding("i", "instances", "Instances", id="stats.instances"),
        Binding("x", "toggle_indexes", "Indexes", id="stats.indexes"),
    ]

    def __init__(self, backend: Any, *, read_only: bool = False, live: bool = True) -> None:
        super().__init__()
        self.backend = backend
        self.read_only = read_only
        self.live = live  # False in snapshot tests: no timers, no polling
        self.state: Any = None
        self.applying = False
        self.retry_in = 0
        self.preview_tag: str | None = None
        self.filters: dict[str, str] = {}
        self.ready_hook = os.environ.get("GTSD_TUI_EXIT_WHEN_READY")  # benchmarks: exit at the first data
        self.init_stats()

    def main(self, selector: str, expect_type: Any = None) -> Any:
        """A widget of the main screen, also while a dialog is on top (``query_one`` looks at the top screen)."""
        base = self.screen_stack[0]
        return base.query_one(selector, expect_type) if expect_type else base.query_one(selector)

    @property
    def alive(self) -> bool:
        """False once the app is closing (late worker messages and timers have nothing left to update),
        also while the main screen's widgets are being torn down."""
        if not self.screen_stack or self._exit or self._closing:
            return False
        return bool(self.screen_stack[0].query("#grid"))

    def compose(self) -> ComposeResult:
        yield Static("gtsd-tui", id="header")
        yield Static("", id="tabs")
        with Static(id="grid"):
            for name in PANES:
                yield Pane(name)
        yield Footer()

    def on_mount(self) -> None:
        self.main("#header", Static).update(f"gtsd-tui  {self.backend.project.folder_path}  connecting…")
        self._layout_for(self.size.width)
        self.action_focus_pane("pending")
        self.load_state()
        if self.live:
            self.set_interval(1.0, self._tick)
            self.schedule_stats(1.0)  # after the first screen: its import and connection are not on that path

    # ---- layout -------------------------------------------------------------------------------

    def on_resize(self, event: Any) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        if self.screen_stack:
            self.screen_stack[0].set_class(width < NARROW, "narrow")
        self._update_tabs()

    def _active_pane(self) -> str:
        if not self.alive:
            return "pending"
        node: Any = self.focused
        while node is not None:
            if isinstance(node, Pane):
                return node.pane_name
            node = node.parent
        return "pending"

    def _update_tabs(self) -> None:
        if not self.alive:
            return
        active = self._active_pane()
        for name in PANES:
            self.main(f"#pane-{name}").set_class(name == active, "active")
        labels = [f"[{'reverse' if n == active else 'dim'}] {i + 1} {n.title()} [/]" for i, n in enumerate(PANES)]
        self.main("#tabs", Static).update(" ".join(labels))

    def on_descendant_focus(self, event: Any) -> None:
        if not self.alive:
            return
        self._update_tabs()
        self.refresh_bindings()

    def action_focus_pane(self, name: str) -> None:
        pane = self.main(f"#pane-{name}", Pane)
        pane.set_class(True, "active")
        target = pane.query(RowTable).first() if pane.query(RowTable) else pane
        target.focus()
        self._update_tabs()

    # ---- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="state", exit_on_error=False)
    def load_state(self) -> None:
        self.post_message(msg.StateLoaded(self.backend.refresh()))

    @work(thread=True, exclusive=True, group="findings", exit_on_error=False)
    def load_findings(self) -> None:
        """check's findings, started once the state is painted: computed beside the first paint,
        they held the GIL against it. (No arguments: Textual puts repr() of a worker's arguments in
        its description, and the repr of a 5,000-migration state took 0.18 s.)"""
        state = self.state
        self.post_message(msg.FindingsLoaded(self.backend.findings(state), state))

    def action_refresh(self) -> None:
        self.load_state()

    def _tick(self) -> None:
        if not self.alive:
            return
        if self.state is not None and not self.state.db.connected and not self.applying:
            self.retry_in -= 1
            if self.retry_in <= 0:
                self.retry_in = RETRY_SECONDS
                self.load_state()
            self._render_header()

    def _render_header(self) -> None:
        st = self.state
        folder = self.backend.project.folder_path
        try:
            folder = folder.relative_to(Path.cwd())
        except ValueError:
            pass
        if st is None:
            return
        if st.db.connected:
            db = f"[green]● connected[/] PostgreSQL {st.db.version}"
        else:
            retry = f" · retry in {self.retry_in}s" if self.live else ""
            db = f"[red]○ disconnected[/] {st.db.error or ''}{retry}"
        mode = "  [b]read-only[/]" if self.read_only else ""
        if self.backend.project.embedded:
            mode += f"  [dim]({console_note(True)})[/]"
        self.main("#header", Static).update(f"[b]gtsd-tui[/]  {folder}  {st.db.url}  {db}{mode}")

    @on(msg.StateLoaded)
    def _state_loaded(self, event: msg.StateLoaded) -> None:
        if not self.alive:
            return
        self.state = event.state
        if not self.state.db.connected and self.retry_in <= 0:
            self.retry_in = RETRY_SECONDS
        self._render_header()
        self._render_tables()
        self.refresh_bindings()
        self.call_after_refresh(self.load_findings)
        if self.ready_hook:
            self.call_after_refresh(self._signal_ready)

    def _signal_ready(self) -> None:
        """The first screen with data is painted: tell a benchmark when (``GTSD_TUI_READY_FILE``) and exit."""
        out = os.environ.get("GTSD_TUI_READY_FILE")
        if out:
            Path(out).write_text(repr(time.time()))
        self.exit()

    @on(msg.FindingsLoaded)
    def _findings_loaded(self, event: msg.FindingsLoaded) -> None:
        if not self.alive or self.state is None or event.state is not self.state:
            return  # a newer state is shown; its own findings follow
        self.state.findings = event.findings
        self._render_tables()
        self.refresh_bindings()

    def _render_tables(self) -> None:
        st = self.state
        if st is None:
            return
        items = st.report.items if st.report else []
        fill(self.main("#history-table", RowTable), history_rows(items, self.filters.get("history", "")))
        fill(self.main("#pending-table", RowTable), pending_rows(items, self.filters.get("pending", "")))
        fill(self.main("#conflicts-table", RowTable), finding_rows(st.findings, self.filters.get("conflicts", "")))
        note = st.folder_error or ("" if st.db.connected else "database unreachable: showing the folder only")
        self.main("#history-note", Static).update(note if st.folder_error or not st.db.connected else "")
        errors = sum(1 for f in st.findings if f.severity == "error")
        self.main("#conflicts-note", Static).update(
            "no problems found" if not st.findings else f"{errors} error(s); n on a fixable one renumbers"
        )
        self._preview_highlighted()

    # ---- pending preview ----------------------------------------------------------------------

    @on(RowTable.Highlighted, "#pending-table")
    def _pending_highlighted(self, event: RowTable.Highlighted) -> None:
        if not self.alive:
            return
        self._preview_highlighted()

    def _highlighted_tag(self, table_id: str) -> str | None:
        table: RowTable = self.main(table_id, RowTable)
        return table.cursor_key

    def _preview_highlighted(self) -> None:
        tag = self._highlighted_tag("#pending-table")
        if tag is None and self.preview_tag is not None:
            self.preview_tag = None
            self.main("#preview", SqlPreview).show([])
            self.main("#plan-notes", Static).update("nothing pending")
        if tag and tag != self.preview_tag and self.state and self.state.folder:
            self.preview_tag = tag
            self.load_preview(tag)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def load_preview(self, tag: str, error_line: int | None = None) -> None:
        preview = self.backend.preview(self.state.folder, tag)
        preview.error_line = error_line
        self.post_message(msg.PreviewLoaded(preview))

    @on(msg.PreviewLoaded)
    def _preview_loaded(self, event: msg.PreviewLoaded) -> None:
        if not self.alive:
            return
        p = event.preview
        self.main("#preview", SqlPreview).show(
            p.lines, marks=p.marks, chunk_lines=p.chunk_lines, error_line=getattr(p, "error_line", None)
        )
        self.main("#plan-notes", Static).update("\n".join(p.notes))

    # ---- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        pane = self._active_pane()
        if action in ("apply_to", "apply_all"):
            if self.read_only or pane != "pending":
                return False
            return None if self.applying or not self._has_pending() else True
        if action == "renumber":
            if self.read_only or pane != "conflicts":
                return False
            return True if self.state and any(f.fix and "renumber" in f.fix for f in self.state.findings) else None
        if action == "reset":
            return False if self.read_only else (None if self.applying else True)
        if action == "open":
            return pane in ("history", "pending", "conflicts")
        if action in ("toggle_stats", "stats_interval", "instances", "toggle_indexes"):
            return pane == "connections"
        return True

    def _has_pending(self) -> bool:
        return bool(self.state and self.state.report and self.state.report.pending)

    def action_open(self) -> None:
        pane = self._active_pane()
        tag = self._highlighted_tag(f"#{pane}-table")
        if tag is None or not self.state or not self.state.folder:
            return
        if pane == "conflicts":
            self._open_finding(tag)
            return
        self.open_file(tag)

    def _open_finding(self, key: str) -> None:
        """A clash or overlap: base / ours / theirs side by side (other findings have no detail)."""
        findings = self.state.findings or []
        f = findings[int(key[1:])] if key[1:].isdigit() and int(key[1:]) < len(findings) else None
        if f is not None and getattr(f, "detail", None):
            self.push_screen(ConflictDetailScreen(f.code, f.message, f.detail))

    @on(RowTable.Selected, "#history-table, #pending-table, #conflicts-table")
    def _row_selected(self, event: RowTable.Selected) -> None:
        self.action_open()  # the table takes enter for itself and tells us through this event

    @work(thread=True, group="open", exit_on_error=False)
    def open_file(self, tag: str) -> None:
        title, lines = self.backend.file_view(self.state, tag)
        self.call_from_thread(self.push_screen, TextScreen(title, lines))

    def action_help(self) -> None:
        keys = [(a.binding.key, a.binding.description) for a in self.active_bindings.values()]
        self.push_screen(HelpScreen(sorted(set(keys))))

    def action_filter(self) -> None:
        pane = self._active_pane()
        box = self.main(f"#{pane}-filter", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Changed, ".filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removesuffix("-filter")
        self.filters[name] = event.value
        self._render_tables()

    @on(Input.Submitted, ".filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.action_focus_pane((event.input.id or "").removesuffix("-filter"))

    def action_clear_filter(self) -> None:
        pane = self._active_pane()
        box = self.main(f"#{pane}-filter", Input)
        box.value = ""
        box.remove_class("shown")
        self.action_focus_pane(pane)

    def action_quit_console(self) -> None:
        if not self.applying:
            self.exit()
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                "Quit while applying?",
                "A migration is running: quitting cancels it and rolls it back.",
                action_label="Quit",
            ),
            answer,
        )

    def on_unmount(self) -> None:
        self.backend.close()
