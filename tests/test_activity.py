"""The pure core of the Connections pane: session selection, sorting, graphs that fit (no PostgreSQL)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gtsd_tui.core.server.activity import Session, duration_text, fit, next_sort, select_sessions, sparkline

A = Session(10, "app", "api", "active", "", 5.0, "SELECT pg_sleep(5)")
B = Session(20, "app", "worker", "idle in transaction", "Client:ClientRead", 50.0, "UPDATE t SET x = 1")
C = Session(30, "other", "psql", "active", "Lock:relation", 1.0, "ALTER TABLE t ADD y int", (20,))


def test_blocked_sessions_first_then_the_chosen_order() -> None:
    assert [s.pid for s in select_sessions([A, B, C], "", "duration")] == [30, 20, 10]
    assert [s.pid for s in select_sessions([A, B, C], "", "pid")] == [30, 10, 20]
    assert [s.pid for s in select_sessions([B, A, C], "", "application")] == [30, 10, 20]


def test_filter_matches_pid_names_state_and_query() -> None:
    assert [s.pid for s in select_sessions([A, B, C], "pg_sleep", "pid")] == [10]
    assert [s.pid for s in select_sessions([A, B, C], "20", "pid")] == [20]
    assert [s.pid for s in select_sessions([A, B, C], "IDLE IN", "pid")] == [20]
    assert select_sessions([A, B, C], "nothing like it", "pid") == []


def test_sort_cycles_through_every_key() -> None:
    seen = ["duration"]
    for _ in range(5):
        seen.append(next_sort(seen[-1]))
    assert seen[-1] == "duration" and len(set(seen)) == 5


def test_durations_read_like_pg_activity() -> None:
    assert [duration_text(v) for v in (None, 1.25, 75, 7300)] == ["-", "1.2s", "1m15s", "2h01m"]


@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=700), st.integers(min_value=0, max_value=200))
def test_a_graph_never_exceeds_its_width(values: list[float], width: int) -> None:
    line = sparkline(values, width)
    assert len(line) == min(len(values), width)


@given(st.text(max_size=300), st.integers(min_value=0, max_value=120))
def test_fit_cuts_to_the_width(text: str, width: int) -> None:
    out = fit(text, width)
    assert len(out) <= width and (out == text or out.endswith("…") or width == 0)
