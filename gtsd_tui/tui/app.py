"""The console app: its keys and where they apply come from the action registry (``tui/actions.py``),
each action runs its feature's handler (``tui/features/``), and the app runs the workers. The panes
render themselves and the main screen dispatches what the workers report."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial

from textual import on
from textual.app import App
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from gtsd_tui.services.console import ConsoleService, ConsoleState
from gtsd_tui.services.files import Signature
from gtsd_tui.tui import actions, features, jobs, live
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.commands import ConsoleCommands
from gtsd_tui.tui.screens.main import MainScreen
from gtsd_tui.tui.widgets.conflicts_pane import ConflictsPane
from gtsd_tui.tui.widgets.connections_pane import ConnectionsPane
from gtsd_tui.tui.widgets.history_pane import HistoryPane
from gtsd_tui.tui.widgets.pending_pane import PendingPane


class GtsdApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gtsd-tui"
    COMMANDS = {ConsoleCommands}
    BINDINGS = actions.bindings(actions.APP)  # the footer's order: the registry's (quit and help first)
    GC_SAFETY = 2.0  # seconds after the mount: the GC on again if the first frame with tags has not come

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
        self.gc_held = False  # the cyclic GC is off until the first frame with tags (launch.py)

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

    def release_gc(self) -> None:
        """The cyclic GC on again, for good, if the start-up held it off (launch.py): once the first frame
        with tags is painted, or two seconds after the mount if it has not come, or when the app ends."""
        if self.gc_held:
            self.gc_held = False
            gc.enable()

    def start(self) -> None:
        """Once the main screen is composed: layout, focus, the first state, then the timers."""
        if self.gc_held:
            self.set_timer(self.GC_SAFETY, self.release_gc)
        self.main_screen.layout_for(self.size.width)
        self.main_screen.focus_pane("pending")
        live.render_header(self)
        first = self.service.prefetched()  # read while Textual started: shown in the first paint
        if first is None:  # not there yet: the folder's tags first, then a worker waits for the state
            tags = self.service.outline()
            if tags is not None:
                self.main_screen.show_outline(tags)
            self.run_job("state", partial(jobs.load_first, self.service, self.post_to_screen))
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
        """Every unexpected worker error shows here, routed to the feature that owns the worker's group
        (which resets what it left half-done)."""
        if event.state == WorkerState.ERROR and self.alive:
            features.failed(self, event.worker.group, event.worker.error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only keys that apply here are shown (the registry's panes, read-only and guards); a shown
        key that cannot run now says why when pressed."""
        return actions.allowed(self, actions.APP, action)

    def on_unmount(self) -> None:
        self.service.close()


actions.install(GtsdApp)  # action_<name> for each of the registry's app actions
