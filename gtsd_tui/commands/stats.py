"""``gtsd-tui stats``: live connection statistics, blocked sessions, index usage and pool advice."""

from __future__ import annotations

import argparse
import time
from typing import Any

from gtsd_tui.commands.output import blocked_text, print_json
from gtsd_tui.core.display import shown
from gtsd_tui.core.server.advisor import Advice, read_pool_max
from gtsd_tui.errors import EXIT_OK
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("stats", parents=[common], help="connections, blocked sessions, rates, pool advice")
    p.add_argument("--watch", action="store_true", help="print again every --interval seconds until Ctrl-C")
    p.add_argument("--interval", type=float, default=2.0, metavar="S", help="seconds between polls (default 2)")
    p.add_argument("--indexes", action="store_true", help="index usage from pg_stat_user_indexes")
    p.add_argument("--instances", type=int, default=1, metavar="N", help="app instances sharing the server")
    p.add_argument(
        "--pool-max", type=int, metavar="N", help="the app's pool size (default: max: in apps/api/src/db/connection.ts)"
    )


def advice_for(stats: Any, project: Project, instances: int, pool_max: int | None) -> Advice:
    if pool_max is None:
        pool_max = read_pool_max(project.settings.cwd)
    return Advice(stats.max_connections, stats.reserved, instances, pool_max)


def render(stats: Any, advice: Advice) -> str:
    tps = "-" if stats.tps is None else f"{stats.tps:.1f}"
    hit = "-" if stats.cache_hit_ratio is None else f"{100 * stats.cache_hit_ratio:.1f}%"
    lines = [
        f"connections {stats.total}/{stats.max_connections} ({stats.usage_percent:.0f}%)  active {stats.active}  "
        f"idle {stats.idle}  idle in transaction {stats.idle_in_tx}  waiting on locks {stats.waiting}",
        f"tps {tps}  cache hit {hit}  longest transaction {_secs(stats.longest_tx_s)}  "
        f"longest idle in transaction {_secs(stats.longest_idle_tx_s)}",
    ]
    lines += [f"blocked: {blocked_text(b)} ({_secs(b.get('waiting_s'))})" for b in stats.blocked]
    lines.append("by database / application / state:")
    lines += [
        f"  {shown(g['database'] or '-'):20} {shown(g['application'] or '-'):24} {g['state']:28} {g['count']}"
        for g in stats.groups
    ]
    for ix in stats.indexes or []:
        flag = "  UNUSED" if not ix["idx_scan"] else ""
        lines.append(
            f"  index {shown(ix['schemaname'])}.{shown(ix['indexrelname'])} on {shown(ix['relname'])}: "
            f"scans {ix['idx_scan']}, "
            f"read {ix['idx_tup_read']}, fetched {ix['idx_tup_fetch']}, {ix['bytes']} bytes{flag}"
        )
    lines += advice.lines()
    lines += [f"note: {n}" for n in stats.notices]
    return "\n".join(lines)


def _secs(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}s"


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.live import open_collector, poll

    collector = open_collector(project.resolve_url())
    try:
        stats = poll(collector, indexes=args.indexes)
        if not args.watch:  # a second sample one interval later gives the rates
            time.sleep(min(args.interval, 1.0))
            stats = poll(collector, indexes=args.indexes)
        while True:
            advice = advice_for(stats, project, args.instances, args.pool_max)
            if args.json:
                print_json({**stats.to_json(), "advice": advice.to_json()})
            else:
                print(render(stats, advice), flush=True)
            if not args.watch:
                return EXIT_OK
            time.sleep(args.interval)
            stats = poll(collector, indexes=args.indexes)
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        collector.close()
