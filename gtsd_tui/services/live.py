"""Live statistics for ``stats`` (the console polls through its own service): errors as DatabaseError."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtsd_tui.errors import DatabaseError
from gtsd_tui.services.console_types import LiveStats

if TYPE_CHECKING:
    from gtsd_tui.db.stats import Stats, StatsCollector


def open_collector(url: str) -> StatsCollector:
    from gtsd_tui.db.stats import StatsCollector

    return StatsCollector(url)


def poll(collector: StatsCollector, *, indexes: bool = False, sessions: bool = False) -> Stats:
    import psycopg

    try:
        return collector.poll(indexes=indexes, sessions=sessions)
    except psycopg.Error as exc:
        raise DatabaseError(f"stats: {str(exc).strip().splitlines()[0]}") from None


def live_stats(s: Stats, pool: str | None, advice: tuple[str, ...]) -> LiveStats:
    """One poll as the Connections pane shows it (``pool``: our own pool's line; ``advice``: the pool advice)."""
    from gtsd_tui.services.stats_text import blocked_line, index_lines

    waits = [float(b["waiting_s"]) for b in s.blocked if b.get("waiting_s") is not None]
    return LiveStats(
        s.total,
        s.max_connections,
        s.active,
        s.idle,
        s.idle_in_tx,
        s.waiting,
        s.tps,
        s.longest_tx_s,
        s.longest_idle_tx_s,
        max(waits) if waits else None,
        tuple(blocked_line(b) for b in s.blocked),
        tuple(s.sessions),
        pool,
        tuple(s.notices) + tuple(index_lines(s.indexes or [])),
        advice,
    )
