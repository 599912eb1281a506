"""Connections, like pg_activity: counters with graphs sized to the pane, and the session list
(pid, database, application, state, wait, duration, query), sortable, filtered with ``/``; blocked
sessions on top in red, naming their blocker."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.events import Resize
from textual.widgets import Static

from gtsd_tui.core.display import shown
from gtsd_tui.core.server.activity import Session, duration_text, fit, next_sort, select_sessions, sparkline
from gtsd_tui.services.console import LiveStats
from gtsd_tui.tui.actions import bindings
from gtsd_tui.tui.features.sessions import SignalWanted
from gtsd_tui.tui.render import Row
from gtsd_tui.tui.widgets.pane import Pane
from gtsd_tui.tui.widgets.rows import RowTable

INTERVALS = (0.5, 1.0, 2.0, 3.0, 5.0)
HISTORY = 600  # samples kept; a graph shows as many as fit
LABEL = 22  # cells before each graph


def _secs(v: float | None) -> str:
    return "-" if v is None else duration_text(v)


def session_rows(sessions: list[Session]) -> list[Row]:
    rows: list[Row] = []
    for s in sessions:
        style = "bold red" if s.blocked else ("yellow" if s.state.startswith("idle in transaction") else "")
        wait = s.wait + (f" ← {', '.join(map(str, s.blocked_by))}" if s.blocked else "")
        texts = (s.database, s.application, s.state, wait, duration_text(s.duration_s), shown(s.short_query()))
        cells = (str(s.pid), *(shown(t) for t in texts))
        rows.append((str(s.pid), tuple(Text(c, style=style) for c in cells)))
    return rows


class ConnectionsPane(Pane):
    NAME = "connections"
    HINT = "filter sessions (pid, database, application, state, query)…"
    BINDINGS = bindings("pane:connections")

    def __init__(self) -> None:
        super().__init__()
        self.stats: LiveStats | None = None
        self.error: str | None = None
        self.paused = False
        self.interval = 2.0
        self.sort = "duration"
        self.instances = 1
        self.show_indexes = False
        self.history: dict[str, deque[float]] = {
            k: deque(maxlen=HISTORY) for k in ("total", "active", "waiting", "tps")
        }
        self.shown: list[Session] = []

    def body(self) -> ComposeResult:
        yield Static("waiting for the first poll…", id="stats-summary")
        yield RowTable("PID", "Database", "Application", "State", "Wait", "Duration", "Query", id="sessions-table")
        yield Static("", id="stats-status", classes="note")

    def show(self, stats: LiveStats) -> None:
        self.stats, self.error = stats, None
        for key, value in (("total", stats.total), ("active", stats.active), ("waiting", stats.waiting)):
            self.history[key].append(float(value))
        if stats.tps is not None:
            self.history["tps"].append(stats.tps)
        self._render_summary()
        self.render_rows()

    def show_error(self, error: str) -> None:
        """No statistics: the error, and no sessions (a stale list would be taken for a live one)."""
        self.error, self.stats = error, None
        self._render_summary()
        self.render_rows()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self._render_status()

    def action_interval(self, step: int) -> None:
        idx = min(range(len(INTERVALS)), key=lambda i: abs(INTERVALS[i] - self.interval))
        self.interval = INTERVALS[max(0, min(len(INTERVALS) - 1, idx + step))]
        self._render_status()
        self.notify(f"stats every {self.interval:g}s", timeout=1.5)

    def action_sort(self) -> None:
        self.sort = next_sort(self.sort)
        self.render_rows()
        self.notify(f"sessions sorted by {self.sort}", timeout=1.5)

    def action_instances(self) -> None:
        self.instances = self.instances % 16 + 1
        self.notify(f"pool advice for {self.instances} app instance(s) from the next poll")

    def action_indexes(self) -> None:
        self.show_indexes = not self.show_indexes
        self.notify("index usage shown from the next poll" if self.show_indexes else "index usage hidden")

    def action_signal(self, terminate: bool) -> None:
        session = self.selected_session()
        if session is None:
            self.notify("no session selected (the list is empty or filtered out)", severity="warning")
        else:
            self.post_message(SignalWanted(session, terminate))  # the sessions feature asks

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``c`` only on a session running a query; ``K`` on any session but a console's own reads."""
        if action != "signal":
            return True
        session = self.selected_session()
        if session is None:
            return False
        return not session.console_own if parameters and parameters[0] else session.running

    def on_row_table_highlighted(self, event: RowTable.Highlighted) -> None:
        self.app.refresh_bindings()  # c / K follow the highlighted session

    def selected_session(self) -> Session | None:
        key = self.main_table.cursor_key
        return next((s for s in self.shown if str(s.pid) == key), None)

    def on_resize(self, event: Resize) -> None:
        self._render_summary()

    def redraw(self) -> None:
        self._render_summary()
        self.render_rows()

    def render_rows(self) -> None:
        if self.deferred:  # the polls are kept (graphs included) until the pane is first shown
            return
        sessions = list(self.stats.sessions) if self.stats else []
        self.shown = select_sessions(sessions, self.needle, self.sort)
        self.query_one("#sessions-table", RowTable).set_rows(session_rows(self.shown))
        self._render_status()
        self.app.refresh_bindings()

    def _render_status(self) -> None:
        if self.deferred:
            return
        state = "[b reverse] PAUSED [/] space resumes" if self.paused else f"every {self.interval:g}s (+/-)"
        shown = f"{len(self.shown)} session(s)" + (f" matching {self.needle!r}" if self.needle else "")
        self.query_one("#stats-status", Static).update(f"{state} · {shown} · sort: {self.sort}")

    def _graph(self, label: str, key: str, width: int) -> str:
        head = fit(label, LABEL).ljust(LABEL)
        return head + sparkline(list(self.history[key]), max(0, width - LABEL))

    def _render_summary(self) -> None:
        if self.deferred:
            return
        summary = self.query_one("#stats-summary", Static)
        width = max(10, self.size.width - 2)  # padding; a line never wraps
        if self.error is not None:
            summary.update(Text(fit(f"stats unavailable: {self.error}", width), style="red"))
            return
        s = self.stats
        if s is None:
            return
        tps = "-" if s.tps is None else f"{s.tps:.1f}"
        lines = [
            Text(self._graph(f"sessions {s.total}/{s.max_connections} ({s.usage_percent:.0f}%)", "total", width)),
            Text(self._graph(f"active {s.active}", "active", width)),
            Text(self._graph(f"waiting on a lock {s.waiting}", "waiting", width)),
            Text(self._graph(f"tps {tps}", "tps", width)),
            Text(
                fit(
                    f"idle {s.idle} · idle in transaction {s.idle_in_tx} · longest transaction "
                    f"{_secs(s.longest_tx_s)} · longest idle in tx {_secs(s.longest_idle_tx_s)} · "
                    f"longest blocked wait {_secs(s.blocked_wait_s)}",
                    width,
                )
            ),
        ]
        lines += [Text(fit(f"⛔ {b}", width), style="bold red") for b in s.blocked]
        lines += [Text(fit(s.pool, width), style="dim")] if s.pool else []
        lines += [Text(fit(f"! {n}", width), style="yellow") for n in s.notices]
        lines += [
            Text(fit(a, width), style="red" if a.startswith("warning") else "dim")
            for a in (s.advice if self.size.height >= 24 else s.advice[-1:])
        ]
        summary.update(Text("\n").join(lines))
