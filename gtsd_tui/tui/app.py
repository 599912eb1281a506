"""The console app: keys, which of them apply, the workers. The panes render themselves, the main screen
dispatches what the workers report, and tui/flows.py holds the dialogs between a key and its job."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from gtsd_tui.core.vocab import Busy
from gtsd_tui.services.console import ConsoleService, ConsoleState
from gtsd_tui.services.files import Signature
from gtsd_tui.tui import flows, jobs, live
from gtsd_tui.tui.commands import DESTRUCTIVE, PANE_ACTIONS, ConsoleCommands
from gtsd_tui.tui.screens.help import HelpScreen
from gtsd_tui.tui.screens.main import MainScreen
from gtsd_tui.tui.widgets.conflicts_pane import ConflictsPane
from gtsd_tui.tui.widgets.connections_pane import ConnectionsPane
from gtsd_tui.tui.widgets.history_pane import HistoryPane
from gtsd_tui.tui.widgets.pane import PANES
from gtsd_tui.tui.widgets.pending_pane import PendingPane


class GtsdApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gtsd-tui"
    COMMANDS = {ConsoleCommands}
    BINDINGS = [  # the footer shows the app's keys in this order: quit and help first, so 80 columns keep them
        Binding("q", "quit_console", "Quit", id="quit", tooltip="asks first while something runs"),
        Binding(
            "ctrl+c",
            "quit_console",
            "Quit",
            id="quit.ctrl_c",
            show=False,
            priority=True,
            tooltip="asks first while something runs",
        ),
        Binding("question_mark,f1", "help", "Help", id="help", key_display="?"),
        Binding("a", "apply_to", "Apply to", id="apply.to", tooltip="up to the highlighted migration (asks first)"),
        Binding("A", "apply_all", "Apply all", id="apply.all", tooltip="every pending migration (asks first)"),
        Binding("v", "review", "Review", id="review", tooltip="rehearse on a copy, then a applies"),
        Binding("enter", "open", "Open", id="open", tooltip="the file; the diff for a modified one"),
        Binding("E", "edit", "Edit", id="edit", tooltip="the highlighted file in $VISUAL / $EDITOR"),
        Binding("n", "renumber", "Renumber", id="renumber", tooltip="shows the plan first"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("R", "reset", "Reset", id="reset", tooltip="drop, recreate, migrate; asks, then b backs up first"),
        Binding(
            "e", "environments", "Environments", id="environments", show=False, tooltip="migrations × environments"
        ),
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
        self.fatal: str | None = None  # why the console stopped at once (bad input), said after it closes
        self.busy_state = Busy.IDLE  # what runs now (flows.set_busy)
        self.busy = ""  # its label for a person: "applying", "applying to staging", "resetting"...
        self.retry_in = 0
        self.failures = 0  # reads in a row that found no database (the retry waits 2, 4, 8, then 10 s)
        self.seen: tuple[int, Signature] = (0, b"")  # (our refreshes, the signature the last one read)

    # ---- the main screen (layout and dispatch) and its panes ------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self)

    @property
    def main_screen(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def alive(self) -> bool:
        """False while the app closes: late timers and worker events have nothing left to update. Asked by
        check_action for each key at every footer refresh: two levels of children (the panes' grid), not
        a walk of the whole screen (that walk was a tenth of the first screen's CPU)."""
        if not self.screen_stack:
            return False
        return any(grid.query_children(HistoryPane) for grid in self.screen_stack[0].query_children("#grid"))

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

    def active_pane(self) -> str:
        return self.main_screen.active_pane() if self.screen_stack else "pending"

    def start(self) -> None:
        """Once the main screen is composed: layout, focus, the first state, then the timers."""
        self.main_screen.layout_for(self.size.width)
        self.action_focus_pane("pending")
        live.render_header(self)
        first = self.service.prefetched()  # read while Textual started: shown in the first paint
        if first is None:  # not there yet: a worker waits for it (the ready hook waits for it too)
            self.run_job("state", partial(jobs.load_first, self.service))
        else:
            self.main_screen.show_state(*first)
        live.start(self)

    # ---- workers: each posts one typed message to the main screen -------------------------------

    def run_job(
        self, group: str, job: Callable[[], Message], *, exclusive: bool = True, to: Screen[None] | None = None
    ) -> None:
        """``to``: the screen its message goes to (default the main screen); the worker is the app's, so
        an unexpected error reaches the one handler below. A thread cannot be stopped: an exclusive job
        replaced by a newer one of its group still runs to its end, and its result is dropped (a slow
        older read must not land after, and over, the newer one)."""
        screen = self.main_screen if to is None else to

        def work() -> None:
            result = job()
            if not get_current_worker().is_cancelled:
                screen.post_message(result)  # dropped too if the screen has gone

        self.run_worker(work, name=group, group=group, thread=True, exclusive=exclusive, exit_on_error=False)

    def post_to_screen(self, message: Message) -> object:
        """For jobs that report progress (thread-safe, like every post_message)."""
        return self.main_screen.post_message(message) if self.screen_stack else False

    def workers_in(self, group: str) -> bool:
        return any(w.group == group and not w.is_finished for w in self.workers)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """Every unexpected worker error shows here, and what the worker left half-done is reset."""
        if event.state == WorkerState.ERROR and self.alive:
            group, exc = event.worker.group, event.worker.error
            if group in ("envs", "env_apply"):  # the Environments view's load or apply: the view says so too
                from gtsd_tui.tui import env_flows
                from gtsd_tui.tui.screens.environments import view

                env_flows.failed(self, group, f"{type(exc).__name__}: {exc}", view(self))
            flows.worker_failed(self, group, exc)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only keys that apply here are shown; a shown key that cannot run now says why when pressed."""
        if action in DESTRUCTIVE and self.read_only:
            return False
        panes = PANE_ACTIONS.get(action)
        if panes is not None and (not self.alive or self.active_pane() not in panes):
            return False
        if action == "renumber":
            return self.conflicts.fixable
        if action == "environments":  # from the main screen (not over a dialog, Review or the view itself)
            return self.alive and self.screen is self.main_screen
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
        tag = self.main_screen.pane(self.active_pane()).main_table.cursor_key
        if tag is not None and self.state is not None and not tag.startswith("row:"):
            self.run_job("open", partial(jobs.open_file, self.service, self.state, tag), exclusive=False)

    def action_edit(self) -> None:
        from gtsd_tui.tui.editor import edit

        edit(self, self.pending.highlighted)

    def action_renumber(self) -> None:
        self.run_job("renumber", partial(jobs.plan_renumber, self.service))

    def action_reset(self) -> None:
        if self.busy:
            self.notify(f"{self.busy}: wait until it finishes", severity="warning")
        else:
            self.run_job("reset", partial(jobs.reset_target, self.service))

    def action_environments(self) -> None:
        """Every environment of the project, migrations × environments (read-only; apply asks first)."""
        from gtsd_tui.tui.screens.environments import EnvironmentsScreen

        if not any(isinstance(s, EnvironmentsScreen) for s in self.screen_stack):
            self.push_screen(EnvironmentsScreen(self))

    def action_drift(self) -> None:
        """The Drift view: each difference from the newest applied snapshot, with its fix (palette)."""
        from gtsd_tui.tui import drift_view

        drift_view.open_view(self)

    def action_new(self) -> None:
        flows.ask_new(self)

    def action_backup(self) -> None:
        self.run_job("backup", partial(jobs.backup, self.service, False))

    def action_focus_pane(self, name: str) -> None:
        self.main_screen.focus_pane(name)

    def action_check(self) -> None:
        self.action_focus_pane("conflicts")
        self.action_refresh()

    def action_lint(self) -> None:
        self.action_focus_pane("pending")
        self.pending.query_one("#findings-table").focus()

    def action_help(self) -> None:
        """The console's keys by pane, from the bindings of the app, the panes and the screens."""
        from gtsd_tui.tui.screens.environments import EnvironmentsScreen
        from gtsd_tui.tui.screens.help import sections
        from gtsd_tui.tui.screens.review import ReviewScreen

        panes = {p.NAME: p.BINDINGS for p in (HistoryPane, PendingPane, ConflictsPane, ConnectionsPane)}
        screens = {"Review (v)": ReviewScreen.BINDINGS, "Environments (e)": EnvironmentsScreen.BINDINGS}
        self.push_screen(HelpScreen(sections(self.BINDINGS, panes, PANE_ACTIONS, screens)))

    def action_filter(self) -> None:
        self.main_screen.pane(self.active_pane()).open_filter()

    def action_clear_filter(self) -> None:
        self.main_screen.pane(self.active_pane()).clear_filter()

    def action_palette(self, action: str) -> None:
        flows.palette(self, action)

    def action_quit_console(self) -> None:
        flows.quit_console(self)

    def on_unmount(self) -> None:
        self.service.close()
