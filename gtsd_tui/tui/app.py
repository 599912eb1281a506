"""The console app: keys, which of them apply, the workers. The panes render themselves, the main screen
dispatches what the workers report, and tui/flows.py holds the dialogs between a key and its job."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from gtsd_tui.services.console import ConsoleService, ConsoleState
from gtsd_tui.services.files import Signature
from gtsd_tui.tui import flows, jobs
from gtsd_tui.tui.commands import ConsoleCommands
from gtsd_tui.tui.screens.help import HelpScreen
from gtsd_tui.tui.screens.main import MainScreen
from gtsd_tui.tui.widgets.conflicts_pane import ConflictsPane
from gtsd_tui.tui.widgets.connections_pane import ConnectionsPane
from gtsd_tui.tui.widgets.header import HeaderBar, TabStrip
from gtsd_tui.tui.widgets.history_pane import HistoryPane
from gtsd_tui.tui.widgets.pane import PANES, Pane
from gtsd_tui.tui.widgets.pending_pane import PendingPane

NARROW = 100
PANE_ACTIONS = {
    "apply_to": ("pending",),
    "apply_all": ("pending",),
    "review": ("pending",),
    "open": ("history", "pending"),
    "renumber": ("conflicts",),
    "reset": ("history", "pending"),
}
DESTRUCTIVE = {"apply_to", "apply_all", "review", "renumber", "reset", "new"}


class GtsdApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gtsd-tui"
    COMMANDS = {ConsoleCommands}
    BINDINGS = [  # the footer shows the app's keys in this order: quit and help first, so 80 columns keep them
        Binding("q", "quit_console", "Quit", id="quit"),
        Binding("ctrl+c", "quit_console", "Quit", id="quit.ctrl_c", show=False, priority=True),
        Binding("question_mark,f1", "help", "Help", id="help", key_display="?"),
        Binding("a", "apply_to", "Apply to", id="apply.to"),
        Binding("A", "apply_all", "Apply all", id="apply.all"),
        Binding("v", "review", "Review", id="review"),
        Binding("enter", "open", "Open", id="open"),
        Binding("n", "renumber", "Renumber", id="renumber"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("R", "reset", "Reset", id="reset"),
        Binding("escape", "clear_filter", "Clear filter", id="filter.clear", show=False),
        *[
            Binding(str(i + 1), f"focus_pane('{n}')", n.title(), id=f"pane.{n}", show=False)
            for i, n in enumerate(PANES)
        ],
    ]

    def __init__(self, service: ConsoleService, *, read_only: bool = False, live: bool = True) -> None:
        super().__init__()
        self.service = service
        self.info = service.info()
        self.read_only = read_only
        self.live = live  # False in snapshot tests: no timers, no polling, no watching
        self.state: ConsoleState | None = None
        self.busy = ""  # what runs now: "applying", "resetting", "backing up"
        self.retry_in = 0
        self.seen: tuple[int, Signature] = (0, ())  # (our refreshes, the signature the last one read)

    # ---- the main screen and its panes --------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self)

    @property
    def main_screen(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def alive(self) -> bool:
        """False while the app closes: late timers and worker events have nothing left to update."""
        return bool(self.screen_stack) and bool(self.screen_stack[0].query(HistoryPane))

    @property
    def history(self) -> HistoryPane:
        return self.main_screen.query_one(HistoryPane)

    @property
    def pending(self) -> PendingPane:
        return self.main_screen.query_one(PendingPane)

    @property
    def conflicts(self) -> ConflictsPane:
        return self.main_screen.query_one(ConflictsPane)

    @property
    def connections(self) -> ConnectionsPane:
        return self.main_screen.query_one(ConnectionsPane)

    def pane(self, name: str) -> Pane:
        return self.main_screen.query_one(f"#pane-{name}", Pane)

    def start(self) -> None:
        """Once the main screen is composed: focus, first load, timers and the folder watcher."""
        self._layout_for(self.size.width)
        self.action_focus_pane("pending")
        self.render_header()
        first = self.service.prefetched()  # read before Textual started: shown in the first paint
        if first is None:
            flows.reload(self)
        else:
            self.main_screen.show_state(*first)
        if self.live:
            self.set_interval(1.0, self._tick)
            self.set_timer(1.0, self._stats_due)  # after the first screen: not on its path

    # ---- workers: each posts one typed message to the main screen -------------------------------

    def run_job(self, group: str, job: Callable[[], Message], *, exclusive: bool = True) -> None:
        screen = self.main_screen

        def work() -> None:
            screen.post_message(job())  # dropped if the screen has gone

        self.run_worker(work, name=group, group=group, thread=True, exclusive=exclusive, exit_on_error=False)

    def post_to_screen(self, message: Message) -> object:
        """For jobs that report progress (thread-safe, like every post_message)."""
        return self.main_screen.post_message(message) if self.screen_stack else False

    def watch_folder(self) -> None:
        """Started after the first screen with data (its first scan would compete with that paint)."""
        if self.live and not self.workers_in("watch"):
            self.run_worker(self._watch, name="watch", group="watch", thread=True, exit_on_error=False)

    def workers_in(self, group: str) -> bool:
        return any(w.group == group and not w.is_finished for w in self.workers)

    def _watch(self) -> None:
        worker = get_current_worker()
        jobs.watch(self.service, self.post_to_screen, lambda: worker.is_cancelled, lambda: self.seen)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """Every unexpected worker error shows here, and what the worker left half-done is reset."""
        if event.state == WorkerState.ERROR and self.alive:
            flows.worker_failed(self, event.worker.group, event.worker.error)

    def schedule_stats(self, delay: float | None = None) -> None:
        if self.live and self.alive:
            self.set_timer(self.connections.interval if delay is None else delay, self._stats_due)

    def _stats_due(self) -> None:
        if not self.alive:
            return
        c = self.connections
        if c.paused or len(self.screen_stack) > 1 or self.state is None or not self.state.db.connected:
            self.schedule_stats()  # paused, a dialog is open, or no database: look again later
            return
        self.run_job("stats", partial(jobs.poll_stats, self.service, c.show_indexes, c.instances))

    def _tick(self) -> None:
        if self.alive and self.state is not None and not self.state.db.connected and not self.busy:
            self.retry_in -= 1
            if self.retry_in <= 0:
                self.retry_in = flows.RETRY_SECONDS
                flows.reload(self)
            self.render_header()

    def render_header(self) -> None:
        retry = self.retry_in if self.live else 0
        header = self.main_screen.query_one(HeaderBar)
        self.info = self.service.info()  # no I/O: an embedded server started by the last refresh is named now
        header.show(self.info, self.state, retry_in=retry, read_only=self.read_only, busy=self.busy)

    # ---- layout and focus ---------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        if self.alive:
            self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        self.main_screen.set_class(width < NARROW, "narrow")
        # narrow: the footer keeps its width for the pane's keys, each label in full; ctrl+p still opens
        # the palette and Help names it
        self.main_screen.query_one(Footer).show_command_palette = width >= NARROW
        self._update_tabs()

    def active_pane(self) -> str:
        node: Widget | None = self.main_screen.focused if self.screen_stack else None
        while node is not None:
            if isinstance(node, Pane):
                return node.NAME
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return "pending"

    def _update_tabs(self) -> None:
        active = self.active_pane()
        for name in PANES:
            self.pane(name).set_class(name == active, "active")
        self.main_screen.query_one(TabStrip).show(PANES, active)

    def on_descendant_focus(self) -> None:
        if self.alive:
            self._update_tabs()
            self.refresh_bindings()

    def action_focus_pane(self, name: str) -> None:
        pane = self.pane(name)
        pane.set_class(True, "active")
        pane.focus_main()
        self._update_tabs()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only keys that apply here are shown; a shown key that cannot run now says why when pressed."""
        if action in DESTRUCTIVE and self.read_only:
            return False
        panes = PANE_ACTIONS.get(action)
        if panes is not None and (not self.alive or self.active_pane() not in panes):
            return False
        if action == "renumber":
            return self.conflicts.fixable
        return True

    # ---- actions ------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.notify("refreshing…", timeout=1.5)
        flows.reload(self)

    def action_apply_to(self) -> None:
        flows.ask_apply(self, self.pending.highlighted, whole=False)

    def action_apply_all(self) -> None:
        flows.ask_apply(self, None, whole=True)

    def action_review(self) -> None:
        """Rehearse up to the highlighted migration on a copy (Review screen); its ``a`` is the safe apply."""
        flows.ask_review(self, self.pending.highlighted)

    def action_open(self) -> None:
        tag = self.pane(self.active_pane()).main_table.cursor_key
        if tag is not None and self.state is not None and not tag.startswith("row:"):
            self.run_job("open", partial(jobs.open_file, self.service, self.state, tag), exclusive=False)

    def action_renumber(self) -> None:
        self.run_job("renumber", partial(jobs.plan_renumber, self.service))

    def action_reset(self) -> None:
        if self.busy:
            self.notify(f"{self.busy}: wait until it finishes", severity="warning")
        else:
            self.run_job("reset", partial(jobs.reset_target, self.service))

    def action_new(self) -> None:
        flows.ask_new(self)

    def action_backup(self) -> None:
        self.run_job("backup", partial(jobs.backup, self.service, False))

    def action_check(self) -> None:
        self.action_focus_pane("conflicts")
        self.action_refresh()

    def action_lint(self) -> None:
        self.action_focus_pane("pending")
        self.pending.query_one("#findings-table").focus()

    def action_help(self) -> None:
        keys = [(b.binding.key_display or b.binding.key, b.binding.description) for b in self.active_bindings.values()]
        self.push_screen(HelpScreen(sorted(set(keys))))

    def action_filter(self) -> None:
        self.pane(self.active_pane()).open_filter()

    def action_clear_filter(self) -> None:
        self.pane(self.active_pane()).clear_filter()

    def action_palette(self, action: str) -> None:
        flows.palette(self, action)

    def action_quit_console(self) -> None:
        flows.quit_console(self)

    def on_unmount(self) -> None:
        self.service.close()
