"""``gtsd-tui server status|stop`` and the console's header on the embedded server, on real servers."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.db.embedded import postmaster, stop_server
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp

SAMPLE = Path(__file__).resolve().parent.parent / "migrations"


def processes_of(data: Path) -> list[int]:
    """Pids of every process whose command line names the data directory (postmaster and children)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(data).encode() in args or any(str(data).encode() in a for a in args):
                pids.append(int(proc.name))
    return pids


def _orphan_and_live_copies(url: str) -> tuple[str, str]:
    """Two rehearsal copies on the server: one whose owner (a finished process of this host) is gone,
    one owned by this test's process."""
    import socket
    import subprocess

    from psycopg import sql

    from gtsd_tui.core.dbnames import rehearse_name

    gone_pid = int(subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True).stdout)  # exited
    host = socket.gethostname()
    dead, alive = rehearse_name("gtsd", gone_pid, host, "dead"), rehearse_name("gtsd", os.getpid(), host, "a11e")
    with psycopg.connect(url, autocommit=True) as conn:
        for name in (dead, alive):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return dead, alive


@pytest.mark.slow
def test_status_and_stop_of_the_embedded_server(cli, outside_tmp: Path) -> None:
    data = (outside_tmp / ".gtsd" / "pgdata").resolve()
    before = json.loads(cli("server", "status", "--json", cwd=outside_tmp).stdout)
    assert before["running"] is False and before["initialised"] is False and before["data_dir"] == str(data)
    try:
        assert cli("health", cwd=outside_tmp).returncode == 0  # starts the embedded server
        r = cli("server", "status", "--json", cwd=outside_tmp)
        assert r.returncode == 0, r.stderr
        st = json.loads(r.stdout)
        live = postmaster(data)
        assert live is not None and st["running"] is True and st["pid"] == live.pid and st["port"] == live.port
        assert st["socket_dir"] == str(live.socket_dir) and st["data_version"] == int(st["server_version"][:2])
        assert st["size_bytes"] > 10_000_000 and st["started_at"].startswith("20") and st["in_use"] is True
        with psycopg.connect(st["url"]) as conn:
            assert conn.execute("SELECT pg_postmaster_start_time() IS NOT NULL").fetchone() == (True,)
        assert processes_of(data), "the server's processes are visible by their data directory"
        dead, alive = _orphan_and_live_copies(st["url"])
        swept = json.loads(cli("server", "status", "--json", cwd=outside_tmp).stdout)["swept"]
        assert swept == [dead], swept  # a killed rehearsal's copy dropped; a live one's left alone
        with psycopg.connect(st["url"]) as conn:
            names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        assert dead not in names and alive in names
        text = cli("server", "status", cwd=outside_tmp).stdout
        assert f"running, pid {live.pid}, since" in text and f"127.0.0.1:{live.port}" in text and "MB" in text
        elsewhere = json.loads(cli("server", "status", "--json", "--database-url", st["url"], cwd=outside_tmp).stdout)
        assert elsewhere["in_use"] is False
        stop = cli("server", "stop", cwd=outside_tmp)
        assert stop.returncode == 0 and f"(pid {live.pid})" in stop.stdout
        assert processes_of(data) == [], "no process of that data directory is left"
        after = json.loads(cli("server", "status", "--json", cwd=outside_tmp).stdout)
        assert after["running"] is False and after["initialised"] is True and after["pid"] is None
        again = cli("server", "stop", "--json", cwd=outside_tmp)
        assert again.returncode == 0 and json.loads(again.stdout)["stopped"] is False
    finally:
        stop_server(outside_tmp / ".gtsd")


async def test_console_header_says_embedded_and_that_it_keeps_running(outside_tmp: Path) -> None:
    shutil.copytree(SAMPLE, outside_tmp / "migrations")
    cwd = os.getcwd()
    os.chdir(outside_tmp)
    try:
        project = Project(load_settings(cwd=outside_tmp, environ={}), notify=lambda _m: None)
        app = GtsdApp(ConsoleBackend(project))
        async with app.run_test(size=(200, 34)) as pilot:
            for _ in range(400):
                if app.state is not None:
                    break
                await pilot.pause(0.05)
            header = str(app.query_one("#header").render())
        assert "embedded PostgreSQL in .gtsd/" in header and "keeps running after quit" in header
        assert postmaster((outside_tmp / ".gtsd" / "pgdata").resolve()) is not None, "still running after quit"
    finally:
        os.chdir(cwd)
        stop_server(outside_tmp / ".gtsd")


@pytest.mark.slow
def test_every_server_is_listed_stop_all_stops_them_and_a_console_is_warned_of(
    cli, outside_tmp: Path, tmp_path: Path
) -> None:
    """Two folders, two embedded servers: each folder's status lists the other, .gtsd/ is ignored by git,
    ``server stop`` warns of a console connected to it, ``server stop --all`` stops both."""
    import subprocess
    import tempfile

    from gtsd_tui.core.server.activity import CONSOLE_APP

    env = {"GTSD_CACHE_DIR": str(tmp_path / "cache")}  # this test's registry: never the session's server
    a, b = outside_tmp / "a", Path(tempfile.mkdtemp(prefix="gtsd-test-"))
    a.mkdir()
    try:
        for d in (a, b):
            assert cli("health", cwd=d, env=env).returncode == 0  # starts its embedded server
        data_a, data_b = (a / ".gtsd" / "pgdata").resolve(), (b / ".gtsd" / "pgdata").resolve()
        st = json.loads(cli("server", "status", "--json", cwd=a, env=env).stdout)
        assert {s["data_dir"] for s in st["servers"]} == {str(data_a), str(data_b)}
        text = cli("server", "status", cwd=a, env=env).stdout
        assert "other embedded servers gtsd-tui started on this machine" in text and str(data_b) in text
        subprocess.run(["git", "init", "-q"], cwd=a, check=True)
        porcelain = subprocess.run(["git", "status", "--porcelain"], cwd=a, capture_output=True, text=True)
        assert ".gtsd" not in porcelain.stdout  # 45+ MB of server data never shows as untracked
        url_b = json.loads(cli("server", "status", "--json", cwd=b, env=env).stdout)["url"]
        with psycopg.connect(url_b, application_name=CONSOLE_APP):
            stop = cli("server", "stop", cwd=b, env=env)
            assert stop.returncode == 0 and "warning: 1 connection(s) of a gtsd-tui console" in stop.stderr
        assert postmaster(data_b) is None
        assert cli("health", cwd=b, env=env).returncode == 0  # b again
        r = cli("server", "stop", "--all", cwd=a, env=env)
        assert r.returncode == 0 and str(data_a) in r.stdout and str(data_b) in r.stdout
        assert postmaster(data_a) is None and postmaster(data_b) is None
        again = json.loads(cli("server", "stop", "--all", "--json", cwd=a, env=env).stdout)
        assert again["stopped"] == [] and again["command"] == "server"
    finally:
        stop_server(a / ".gtsd")
        stop_server(b / ".gtsd")
        shutil.rmtree(b, ignore_errors=True)
