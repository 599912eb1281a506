"""A connection lost in the middle of a migration: libpq's message of several lines is printed as its
first line, then the rest on their own lines, never escaped into one (``\\x0a\\x09``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.helpers.folders import make_folder
from tests.helpers.procs import default_signals

pytestmark = pytest.mark.pg

SLOW = "SELECT pg_sleep(2" + "0);\n"


def _terminate_when_running(url: str, fragment: str) -> None:
    deadline = time.time() + 30
    with psycopg.connect(url, autocommit=True) as conn:
        while time.time() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()", (f"%{fragment}%",)
            ).fetchone()
            if row:
                conn.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                return
            time.sleep(0.02)
    raise AssertionError(f"never saw {fragment!r}")


@pytest.mark.parametrize("command", ["migrate", "fleet migrate"])
def test_a_terminated_backend_is_told_on_separate_lines(command: str, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "migrations", [("base", "CREATE TABLE a (id int);\n"), ("slow", SLOW)])
    if command == "migrate":
        target = ["--database-url", pg_url]
    else:
        (tmp_path / "targets.txt").write_text(pg_url + "\n")
        target = ["--targets", str(tmp_path / "targets.txt")]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gtsd_tui", *command.split(), "--migrations", str(folder), *target],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    _terminate_when_running(pg_url, "pg_sleep(20")
    out, err = proc.communicate(timeout=60)
    text = out + err
    assert proc.returncode == 3, text
    assert "\\x0a" not in text and "\\x09" not in text, text
    lines = text.splitlines()
    assert any(line.rstrip().endswith("server closed the connection unexpectedly") for line in lines), text
    assert any(line.strip().startswith("This probably means the server terminated abnormally") for line in lines), text
