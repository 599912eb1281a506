"""Server sessions as pg_activity shows them: typed rows, sorting, filtering, and graphs that fit."""

from __future__ import annotations

from dataclasses import dataclass

SPARK = "▁▂▃▄▅▆▇█"
SORT_KEYS = ("duration", "pid", "database", "application", "state")


CONSOLE_APP = "gtsd-tui console"  # application_name of the console's own reads (its small pool)


@dataclass(frozen=True)
class Session:
    """One client backend (pg_stat_activity), with the sessions blocking it."""

    pid: int
    database: str
    application: str
    state: str
    wait: str  # "Lock:relation", "" when not waiting
    duration_s: float | None  # since the query (active) or the state change (idle in transaction)
    query: str
    blocked_by: tuple[int, ...] = ()

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)

    @property
    def running(self) -> bool:
        """A query runs now: the only state in which cancelling it does anything."""
        return self.state == "active"

    @property
    def console_own(self) -> bool:
        """One of a console's own reads (idle between polls): terminating it helps nobody."""
        return self.application == CONSOLE_APP

    def short_query(self, width: int = 60) -> str:
        one = " ".join(self.query.split())
        return one if len(one) <= width else one[: width - 1] + "…"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def matches(needle: str, *fields: str) -> bool:
    needle = needle.strip().lower()
    return not needle or any(needle in f.lower() for f in fields)


def select_sessions(sessions: list[Session], needle: str, sort: str) -> list[Session]:
    """The sessions matching ``needle`` (pid, database, application, state, wait or query), sorted:
    blocked ones first, then by ``sort`` (duration longest first; names ascending)."""
    kept = [s for s in sessions if matches(needle, str(s.pid), s.database, s.application, s.state, s.wait, s.query)]
    if sort == "duration":
        kept.sort(key=lambda s: -(s.duration_s or 0.0))
    elif sort == "pid":
        kept.sort(key=lambda s: s.pid)
    elif sort in ("database", "application", "state"):
        kept.sort(key=lambda s: (str(getattr(s, sort)), s.pid))
    kept.sort(key=lambda s: not s.blocked)  # stable: blocked sessions stay on top
    return kept


def next_sort(current: str) -> str:
    return SORT_KEYS[(SORT_KEYS.index(current) + 1) % len(SORT_KEYS)] if current in SORT_KEYS else SORT_KEYS[0]


def sparkline(values: list[float], width: int) -> str:
    """The last ``width`` values as one line of bars: never longer than ``width`` cells."""
    if width <= 0 or not values:
        return ""
    shown = values[-width:]
    top = max(shown) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int(max(v, 0.0) / top * (len(SPARK) - 1)))] for v in shown)


def fit(text: str, width: int) -> str:
    """One line cut to ``width`` cells (with an ellipsis), so a pane's lines never wrap."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
