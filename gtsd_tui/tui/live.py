"""What the console does on its own, with no key pressed: the statistics poll, the retry countdown of a
lost database, the header that shows both, and the folder watcher.

Plain functions over the app (as ``flows``): timers and handlers call them on the main thread; the
blocking work runs in ``jobs`` through ``app.run_job``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from textual.worker import get_current_worker

from gtsd_tui.core.connect_failure import retry_helps
from gtsd_tui.tui import jobs
from gtsd_tui.tui.widgets.header import DbProblem, HeaderBar

if TYPE_CHECKING:
    from textual.timer import Timer

    from gtsd_tui.tui.app import GtsdApp

RETRY_SECONDS = 10


def start(app: GtsdApp) -> None:
    """After the first screen with data: the countdown clock, then the first stats poll (not on that
    screen's path)."""
    if app.live:
        app.set_interval(1.0, partial(tick, app))
        schedule_stats(app, 1.0)


def render_header(app: GtsdApp) -> None:
    retry = app.retry_in if app.live else -1  # -1: no retries (not live)
    header = app.main_screen.query_one(HeaderBar)
    app.info = app.service.info()  # no I/O: an embedded server started by the last refresh is named now
    header.show(app.info, app.state, retry_in=retry, read_only=app.read_only, busy=app.busy)
    screen = app.main_screen
    found = screen.query_children(DbProblem)
    if found:
        found.first().show(app.state, app.info.origin)
    elif DbProblem.wanted(app.state) and screen.is_attached:  # the first problem: mounted under the header
        problem = DbProblem()
        screen.mount(problem, after=header)
        problem.show(app.state, app.info.origin)


def tick(app: GtsdApp) -> None:
    """Every second: while the database is lost, count down and try again; not what no retry can fix
    (a wrong password, a database that does not exist): ``r`` tries again after the change."""
    st = app.state
    if app.alive and st is not None and not st.db.connected and retry_helps(st.db.error, st.db.fatal) and not app.busy:
        if app.retry_in > 0:
            app.retry_in -= 1
        if app.retry_in <= 0 and not app.workers_in("state"):  # the read sets the next wait (flows.state_loaded)
            app.run_job("state", partial(jobs.load_state, app.service))
        render_header(app)


# the one statistics poll waiting: its timer, and the token its callback carries
_next_poll: WeakKeyDictionary[GtsdApp, tuple[object, Timer]] = WeakKeyDictionary()


def schedule_stats(app: GtsdApp, delay: float | None = None) -> None:
    """The next statistics poll, after ``delay`` (default: the pane's interval). One is waiting at a
    time: a sooner one (0.2 s after ``c``/``K``, to show the result) replaces it, where a timer of its
    own started a second chain of polls beside the first, a third after the next ``c``..."""
    if app.live and app.alive:
        waiting = _next_poll.pop(app, None)
        if waiting is not None:
            waiting[1].stop()
        token = object()
        timer = app.set_timer(app.connections.interval if delay is None else delay, partial(stats_due, app, token))
        _next_poll[app] = (token, timer)


def stats_due(app: GtsdApp, token: object) -> None:
    waiting = _next_poll.get(app)
    if waiting is None or waiting[0] is not token:
        # a timer stopped once it had fired (its callback already queued): the one waiting is the next
        # poll. Taking that one's place here left it running untracked, a second chain of polls beside
        # the first, and another at each such race.
        return
    del _next_poll[app]
    if not app.alive:
        return
    if app.workers_in("stats"):  # a poll is still out: its result schedules the next
        return
    c = app.connections
    if c.paused or len(app.screen_stack) > 1 or app.state is None or not app.state.db.connected:
        schedule_stats(app)  # paused, a dialog is open, or no database: look again later
        return
    app.run_job("stats", partial(jobs.poll_stats, app.service, c.show_indexes, c.instances))


def watch_folder(app: GtsdApp) -> None:
    """Started after the first screen with data (its first scan would compete with that paint)."""
    if app.live and not app.workers_in("watch"):
        app.run_worker(partial(_watch, app), name="watch", group="watch", thread=True, exit_on_error=False)


def _watch(app: GtsdApp) -> None:
    """Until cancelled, or until the app stops running: a watcher started while the app was already
    closing (e.g. quit, or a benchmark's exit, in the same frame as the first screen) is never cancelled,
    and its endless loop kept the process from exiting."""
    worker = get_current_worker()
    jobs.watch(app.service, app.post_to_screen, lambda: worker.is_cancelled or not app.is_running, lambda: app.seen)
