"""Background gtsd-tui processes and waiting for what they send to the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg


def default_signals() -> None:
    """For ``preexec_fn``: the child starts with SIGINT (and SIGHUP) at their defaults, as from a terminal,
    whatever the test run inherited (``nohup``, ``cmd &`` in a script and some CI runners ignore them,
    and an ignored signal stays ignored across exec)."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def spawn_migrate(folder: Path, url: str) -> subprocess.Popen[str]:
    """``gtsd-tui migrate`` as a separate process (no DATABASE_URL leaks in from the environment)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    cmd = [sys.executable, "-m", "gtsd_tui", "migrate", "--migrations", str(folder), "--database-url", url]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals
    )


def wait_for_query(url: str, fragment: str, timeout: float = 30) -> None:
    """Until another session is running a query containing ``fragment``."""
    deadline = time.time() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.time() < deadline:
            if conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()", (f"%{fragment}%",)
            ).fetchone():
                return
            time.sleep(0.02)
    raise AssertionError(f"no session ran {fragment!r} within {timeout}s")
