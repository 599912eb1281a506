"""The Connections pane: live statistics polled in a worker; the next poll starts after the last."""

from __future__ import annotations

from collections import deque
from typing import Any

from textual import work
from textual.widgets import Static

from gtsd_tui.commands.output import blocked_text
from gtsd_tui.core.advisor import Advice, read_pool_max
from gtsd_tui.tui import messages as msg
from gtsd_tui.tui.render import fill, matches
from gtsd_tui.tui.widgets.rows import RowTable

SPARK = "▁▂▃▄▅▆▇█"
INTERVALS = (0.5, 1.0, 2.0, 3.0, 5.0)


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    top = max(values) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1)))] for v in values)


def breakdown(groups: list[dict[str, Any]], field: str, needle: str) -> list[tuple[str, tuple[str, ...]]]:
    """Sessions per database or per application: total, active, idle in transaction (keyed rows)."""
    totals: dict[str, list[int]] = {}
    for g in groups:
        key = g[field] or "-"
        if not matches(needle, key):
            continue
        row = totals.setdefault(key, [0, 0, 0])
        row[0] += g["count"]
        row[1] += g["count"] if g["state"] == "active" else 0
        row[2] += g["count"] if str(g["state"]).startswith("idle in transaction") else 0
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(key, (key, *(str(n) for n in counts))) for key, counts in ordered]


class StatsView:
    """Mixed into the App."""

    def init_stats(self) -> None:
        self.stats_interval = 2.0
        self.stats_paused = False
        self.stats_history: dict[str, deque[float]] = {
            k: deque(maxlen=90) for k in ("total", "active", "waiting", "tps")
        }
        self.last_stats: Any = None
        self.instances = 1
        self.show_indexes = False

    def schedule_stats(self, delay: float | None = None) -> None:
        app: Any = self
        app.set_timer(self.stats_interval if delay is None else delay, self._stats_due)

    def _stats_due(self) -> None:
        app: Any = self
        if self.stats_paused or len(app.screen_stack) > 1 or app.state is None or not app.state.db.connected:
            self.schedule_stats()  # paused, a dialog is open, or no database: look again later
            return
        self.poll_stats()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def poll_stats(self) -> None:
        app: Any = self
        try:
            app.post_message(msg.StatsUpdated(app.backend.stats(indexes=self.show_indexes)))
        except Exception as exc:  # noqa: BLE001 - a lost connection is a state, not a crash
            app.post_message(msg.StatsUpdated(None, str(exc)))

    def on_stats_updated(self, event: msg.StatsUpdated) -> None:
        app: Any = self
        if not app.alive:
            return
        if app.live:
            self.schedule_stats()
        self._render_stats(event)

    def _render_stats(self, event: msg.StatsUpdated) -> None:
        app: Any = self
        summary = app.main("#stats-summary", Static)
        if event.stats is None:
            summary.update(f"[red]stats unavailable:[/] {event.error}")
            return
        s = self.last_stats = event.stats
        for key in ("total", "active", "waiting"):
            self.stats_history[key].append(float(getattr(s, key)))
        if s.tps is not None:
            self.stats_history["tps"].append(s.tps)
        h = self.stats_history
        lines = [
            f"total {s.total}/{s.max_connections} ({s.usage_percent:.0f}%)  {sparkline(list(h['total']))}",
            f"active {s.active}  {sparkline(list(h['active']))}   idle {s.idle}   idle in tx {s.idle_in_tx}",
            f"waiting {s.waiting}  {sparkline(list(h['waiting']))}   tps "
            f"{'-' if s.tps is None else f'{s.tps:.1f}'}  {sparkline(list(h['tps']))}",
        ]
        lines += [f"[red]⛔ {blocked_text(b)}[/]" for b in s.blocked]
        if s.pool:
            p = s.pool
            lines.append(
                f"our pool {p['pool_size']}/{p['pool_max']} available {p['pool_available']} "
                f"waiting {p['requests_waiting']} errors {p['connections_errors']}"
            )
        lines += [f"[yellow]! {n}[/]" for n in s.notices]
        advice = Advice(s.max_connections, s.reserved, self.instances, read_pool_max(app.backend.project.settings.cwd))
        lines += [f"[{'red' if line.startswith('warning') else 'dim'}]{line}[/]" for line in advice.lines()]
        for ix in (s.indexes or [])[:8]:
            unused = " [yellow]unused[/]" if not ix["idx_scan"] else ""
            lines.append(f"idx {ix['indexrelname']} scans {ix['idx_scan']} {ix['bytes'] // 1024} kB{unused}")
        state = "paused" if self.stats_paused else f"every {self.stats_interval:g}s"
        lines.append(f"[dim]{state} · space pause · +/- interval · i instances ({self.instances}) · x indexes[/]")
        summary.update("\n".join(lines))
        needle = app.filters.get("connections", "")
        for field, table in (("database", "#databases-table"), ("application", "#applications-table")):
            fill(app.main(table, RowTable), breakdown(s.groups, field, needle))

    def action_toggle_stats(self) -> None:
        self.stats_paused = not self.stats_paused
        app: Any = self
        app.notify("live stats paused" if self.stats_paused else "live stats resumed")

    def action_instances(self) -> None:
        self.instances = self.instances % 16 + 1
        app: Any = self
        app.notify(f"pool advice for {self.instances} app instance(s)")
        if self.last_stats is not None:
            self._render_stats(msg.StatsUpdated(self.last_stats))

    def action_toggle_indexes(self) -> None:
        self.show_indexes = not self.show_indexes
        app: Any = self
        app.notify("index usage shown from the next poll" if self.show_indexes else "index usage hidden")

    def action_stats_interval(self, step: int) -> None:
        idx = min(range(len(INTERVALS)), key=lambda i: abs(INTERVALS[i] - self.stats_interval))
        self.stats_interval = INTERVALS[max(0, min(len(INTERVALS) - 1, idx + step))]
        app: Any = self
        app.notify(f"stats every {self.stats_interval:g}s")
