"""``gtsd-tui server status|stop``: the embedded PostgreSQL of this working directory (``.gtsd/``)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from gtsd_tui.commands.output import print_json
from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_OK
from gtsd_tui.services import server
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("server", parents=[common], help="the embedded PostgreSQL in .gtsd/: status, stop")
    p.add_argument("action", choices=("status", "stop"), help="status: data dir, version, port, pid, since, size")
    p.add_argument("--all", action="store_true", help="stop: every embedded server gtsd-tui started on this machine")


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _text(st: server.ServerStatus) -> str:
    if st.running:
        state = f"running, pid {st.pid}, since {st.started_at}"
        listens = f"127.0.0.1:{st.port}, socket {st.socket_dir}"
    else:
        state = "stopped" if st.initialised else "not created yet (the first command without a DATABASE_URL makes it)"
        listens = "-"
    data_v = f" (data directory: PostgreSQL {st.data_version})" if st.data_version else ""
    used = "yes" if st.in_use else "no: a DATABASE_URL is configured, gtsd-tui uses that server"
    rows = [
        ("data dir", st.data_dir),
        ("state", state),
        ("version", f"PostgreSQL {st.server_version or '?'}{data_v}"),
        ("listens", listens),
        ("url", st.url or "-"),
        ("size", _size(st.size_bytes)),
        ("binaries", st.binaries or "none found"),
        ("used", used),
    ]
    return "\n".join(f"{k:9} {v}" for k, v in rows)


def _others_text(here: str, all_servers: list[server.ServerStatus]) -> str:
    others = [st for st in all_servers if st.data_dir != here]
    if not others:
        return ""
    lines = ["", "other embedded servers gtsd-tui started on this machine (gtsd-tui server stop --all):"]
    for st in others:
        state = f"running, pid {st.pid}, port {st.port}" if st.running else "stopped"
        lines.append(f"  {st.data_dir}  {state}  {_size(st.size_bytes)}")
    return "\n".join(lines)


def run(args: argparse.Namespace, project: Project) -> int:
    settings = project.settings
    if args.action == "status":
        st = server.status(settings)
        swept = server.sweep_rehearsals(st)
        all_servers = server.everywhere(settings)
        if args.json:
            print_json({**st.as_json(), "swept": swept, "servers": [s.as_json() for s in all_servers]})
        else:
            print(_text(st) + _others_text(st.data_dir, all_servers))
            if swept:
                print(f"dropped {len(swept)} copy(ies) left by killed rehearsals: {shown(', '.join(swept))}")
        return EXIT_OK
    if args.all:
        return _stop_all(args, settings)
    t0 = time.perf_counter()
    before = server.status(settings)
    _warn_consoles(before)
    stopped = server.stop(settings)
    if args.json:
        print_json({"data_dir": before.data_dir, "stopped": stopped, "pid": before.pid})
    elif stopped:
        took = time.perf_counter() - t0
        print(f"stopped the embedded PostgreSQL of {before.data_dir} (pid {before.pid}) in {took:.1f}s")
    else:
        print(f"the embedded PostgreSQL of {before.data_dir} is not running")
    return EXIT_OK


def _warn_consoles(st: server.ServerStatus) -> None:
    n = server.consoles_using(st)
    if n:
        print(
            f"warning: {n} connection(s) of a gtsd-tui console use {st.data_dir}: it will show 'disconnected'",
            file=sys.stderr,
        )


def _stop_all(args: argparse.Namespace, settings: Any) -> int:
    stopped = server.stop_everywhere(settings, _warn_consoles)
    if args.json:
        print_json({"stopped": [{"data_dir": st.data_dir, "pid": st.pid} for st in stopped]})
    elif not stopped:
        print("no embedded server of gtsd-tui is running on this machine")
    for st in [] if args.json else stopped:
        print(f"stopped the embedded PostgreSQL of {st.data_dir} (pid {st.pid})")
    return EXIT_OK
