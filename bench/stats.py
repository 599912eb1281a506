"""Cost of one stats poll with 200 idle connections open, against ``SELECT 1`` in the same run.

Prints the time per poll (the statement is the only round trip of a poll), the same for
``SELECT 1`` as the floor, and the polls' share of the server's transactions at the default 2 s
interval over a 10 s window. Target: under 2 ms per poll, one round trip per poll.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import database_url, fresh_database  # noqa: E402


def main() -> None:
    import psycopg

    from gtsd_tui.db.stats import POLL_SQL, StatsCollector

    url = fresh_database(database_url(), "bench_stats")
    idle = [psycopg.connect(url, autocommit=True) for _ in range(200)]
    try:
        collector = StatsCollector(url)
        collector.poll()
        conn = collector._connection()
        calls: list[float] = []
        for _ in range(200):
            t0 = time.perf_counter()
            conn.execute(POLL_SQL).fetchone()  # exactly what poll() sends: one statement, one round trip
            calls.append(time.perf_counter() - t0)
        floor: list[float] = []
        for _ in range(200):
            t0 = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            floor.append(time.perf_counter() - t0)
        seen = collector.poll()
        t_end = time.time() + 10
        xacts0 = _xacts(url)
        polls = 0
        while time.time() < t_end:
            collector.poll()
            polls += 1
            time.sleep(2.0)
        total = _xacts(url) - xacts0
        p50, p95 = statistics.median(calls) * 1000, sorted(calls)[int(0.95 * len(calls))] * 1000
        f50 = statistics.median(floor) * 1000
        print(f"connections seen by the poll: {seen.total}")
        print(
            f"poll (one statement, one round trip; bounds the server time): median {p50:.2f} ms, "
            f"p95 {p95:.2f} ms (target < 2 ms); SELECT 1: median {f50:.2f} ms; ratio {p50 / f50:.1f}x"
        )
        print(
            f"at the 2 s interval: {polls} polls among {total} server transactions in 10 s "
            f"({100 * polls / max(total, 1):.0f}% of the server's transactions on an otherwise idle server)"
        )
        collector.close()
    finally:
        for c in idle:
            c.close()


def _xacts(url: str) -> int:
    import psycopg

    time.sleep(1.1)  # PostgreSQL publishes transaction counts about once a second
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


if __name__ == "__main__":
    main()
