"""Run as ``python -m tests.helpers.prefetch_probe MODE URL FOLDER`` in a fresh interpreter (forking the
pytest process itself, with its threads, would prove nothing): starts the console's prefetch as
``run_console`` does and prints what the parent saw, as JSON. MODE: ``ok``, ``fail`` (the child's read
raises), ``slow`` (the child's read hangs; the parent gives up with ``close``), ``abandon`` (as ``slow``, while a
worker thread waits on it, as the console's first-state worker does), ``outline`` (as ``slow``: the
folder's tags must still come, before the state that never does; the child's priority is printed),
``outline-embedded`` (as ``outline`` with no URL configured: the child may start the embedded server),
``abandon-outline`` (the listing itself hangs while a worker waits for the outline; the console quits)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    mode, url, folder = sys.argv[1:4]
    from gtsd_tui.config import load_settings
    from gtsd_tui.services.console import ConsoleBackend
    from gtsd_tui.services.project import Project

    configured = None if mode == "outline-embedded" else url
    project = Project(load_settings(cwd=Path(folder).parent, database_url=configured, migrations=folder, environ={}))
    backend = ConsoleBackend(project)
    if mode == "fail":
        backend._first_read = lambda: 1 / 0  # type: ignore[assignment,method-assign,return-value]
    if mode == "abandon-outline":
        project.outline = lambda: time.sleep(60)  # type: ignore[assignment,method-assign,return-value]
    if mode in ("slow", "abandon", "outline", "outline-embedded", "abandon-outline"):
        backend._first_read = lambda: time.sleep(60)  # type: ignore[assignment,method-assign,return-value]
    backend.prefetch()
    child = backend._child
    out: dict[str, object] = {
        "forked": child is not None,
        "psycopg_in_parent": "psycopg" in sys.modules,
        "url_before": project.url is not None,
    }
    if mode.startswith("outline"):
        import fcntl

        out["pipe_size"] = fcntl.fcntl(child.fd, fcntl.F_GETPIPE_SZ) if child is not None else 0
        out["outline"] = backend.outline(wait=True)
        out["state_ready"] = child is not None and child.ready()
        out["outline_again"] = backend.outline()  # taken once
        nice = 0
        for _ in range(50):  # the child lowers its priority right after sending the outline
            nice = os.getpriority(os.PRIO_PROCESS, child.pid) if child is not None else 0
            if nice:
                break
            time.sleep(0.02)
        out["child_nice"] = nice
        out["parent_nice"] = os.getpriority(os.PRIO_PROCESS, 0)
        backend.close()
    elif mode == "slow":
        t0 = time.monotonic()
        backend.close()
        out["close_s"] = time.monotonic() - t0
    elif mode in ("abandon", "abandon-outline"):
        import threading

        got: list[object] = []
        wait = backend.outline if mode == "abandon-outline" else backend.prefetched
        waiter = threading.Thread(target=lambda: got.append(wait(wait=True)))
        waiter.start()
        time.sleep(0.5)  # the worker is blocked on the pipe
        t0 = time.monotonic()
        backend.close()  # the console quits meanwhile
        waiter.join(10)
        out["close_s"] = time.monotonic() - t0
        out["waiter_done"] = not waiter.is_alive()
        out["got"] = got == [None]
        try:  # the pipe is closed, by close() or by the waiter once its read ended
            os.fstat(child.fd) if child is not None else None
            out["pipe_closed"] = False
        except OSError:
            out["pipe_closed"] = True
    else:
        out["outline"] = backend.outline(wait=True)
        first = backend.prefetched(wait=True)
        out["got"] = first is not None
        if first is not None:
            state, signature = first
            assert state.report is not None
            out["connected"] = state.db.connected
            out["error"] = state.db.error
            out["states"] = {s.migration.tag: s.state for s in state.report.items}
            out["signature"] = len(signature)
        out["url_adopted"] = project.url == url  # (the URL itself is not printed: it may hold a password)
        out["again"] = backend.prefetched() is not None  # taken once
    if child is not None:
        try:
            os.waitpid(child.pid, os.WNOHANG)
            out["reaped"] = False
        except ChildProcessError:
            out["reaped"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    main()
