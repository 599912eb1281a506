"""A rehearsal stopped by a signal never leaves its copy of the target behind: SIGTERM and SIGHUP drop
it as Ctrl-C does; after a SIGKILL the next rehearsal (on the same host) finds it ownerless and drops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.dbnames import rehearse_owner
from tests.helpers.folders import make_folder
from tests.helpers.procs import default_signals, wait_for_query

pytestmark = pytest.mark.pg

BASE = "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n"
SLOW = "SELECT pg_sleep(3" + "0);\nALTER TABLE users ADD x int;\n"


def leftovers(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%%gtsd_rehearse%%'")]


def start_rehearsal(folder: Path, url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    cmd = [sys.executable, "-m", "gtsd_tui", "rehearse", "--migrations", str(folder), "--database-url", url]
    return subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,  # the test run's own dispositions (nohup: SIGHUP ignored) are not the child's
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_terminated_rehearsal_drops_its_copy(sig: signal.Signals, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("slow", SLOW)])
    proc = start_rehearsal(folder, pg_url)
    wait_for_query(pg_url, "pg_sleep(30")
    assert leftovers(pg_url) != []
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode not in (0, -sig), err  # unwound (exit 130 or 128 + N), not killed outright
    assert leftovers(pg_url) == [], err
    with psycopg.connect(pg_url) as conn:  # the target never saw any of it
        assert conn.execute("SELECT to_regclass('public.users')").fetchone() == (None,)


def test_a_killed_rehearsals_copy_is_dropped_by_the_next(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("slow", SLOW)])
    proc = start_rehearsal(folder, pg_url)
    wait_for_query(pg_url, "pg_sleep(30")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    orphans = leftovers(pg_url)
    assert len(orphans) == 1, orphans  # SIGKILL cannot be caught: the copy stays, named with its owner
    owner = rehearse_owner(orphans[0])
    assert owner is not None and owner[0] == proc.pid
    quick = make_folder(tmp_path / "quick", [("base", BASE)])
    r = cli("rehearse", "--migrations", str(quick), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    assert leftovers(pg_url) == []


def test_a_live_rehearsals_copy_is_left_alone(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("slow", SLOW)])
    proc = start_rehearsal(folder, pg_url)
    try:
        wait_for_query(pg_url, "pg_sleep(30")
        running = leftovers(pg_url)
        quick = make_folder(tmp_path / "quick", [("base", BASE)])
        r = cli("rehearse", "--migrations", str(quick), "--database-url", pg_url)
        assert r.returncode == 0, r.stderr
        assert leftovers(pg_url) == running  # its owner is alive: not swept
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert leftovers(pg_url) == []
