"""Live statistics for ``stats`` (the console polls through its own service): errors as DatabaseError."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtsd_tui.errors import DatabaseError

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
