"""Exit codes as the README's table says, on the paths that used to end in 70 or 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.helpers.folders import make_folder
from tests.helpers.procs import spawn_migrate, wait_for_query


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.pg
def test_server_killed_mid_migrate_is_a_database_error(outside_tmp: Path) -> None:
    from gtsd_tui.db.embedded import ensure_server, stop_server

    base = outside_tmp / ".gtsd"
    server = ensure_server(base, fast=True)
    folder = make_folder(
        outside_tmp / "m",
        [("a", "CREATE TABLE a (id int);\n"), ("slow", "SELECT pg_sleep(60);\nCREATE TABLE b (id int);\n")],
    )
    proc = spawn_migrate(folder, server.url())
    try:
        wait_for_query(server.url(), "pg_sleep(60)")
        pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown: every backend is killed, no clean goodbye
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        for _ in range(50):  # the postmaster is gone once its pid file is
            if not (server.data_dir / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        try:
            stop_server(base)
        except Exception:  # noqa: BLE001 - already down
            pass
    assert proc.returncode == 3, (proc.returncode, err)
    assert "internal error" not in err and "Traceback" not in err
    assert "0001_slow.sql" in err or "connection" in err, err


def test_deeply_nested_journal_is_an_input_error(cli, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "m", [("a", "SELECT 1;\n")])
    (folder / "meta/_journal.json").write_text('{"entries": ' + "[" * 200_000 + "]" * 200_000 + "}")
    url = f"postgresql://u@127.0.0.1:{_closed_port()}/x"
    for command in ("status", "check", "migrate"):
        r = cli(command, "--migrations", str(folder), "--database-url", url)
        assert r.returncode == 2, (command, r.returncode, r.stderr)
        assert "_journal.json" in r.stderr and "nested too deeply" in r.stderr


def test_check_says_when_the_configured_database_is_unreachable(cli, sample: Path) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{_closed_port()}/gtsd"
    r = cli("check", "--migrations", str(sample), "--database-url", url)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "database not checked" in r.stderr and "--offline" in r.stderr and "hunter2" not in r.stderr
    j = cli("check", "--json", "--migrations", str(sample), "--database-url", url)
    data = json.loads(j.stdout)
    assert j.returncode == 3 and data["exit_code"] == 3 and "database not checked" in data["error"]
    assert cli("check", "--offline", "--migrations", str(sample), "--database-url", url).returncode == 0


def test_non_utf8_snapshot_is_a_finding(cli, sample: Path) -> None:
    snap = sample / "meta/0001_snapshot.json"
    snap.write_bytes(snap.read_bytes().replace(b'"id"', b'"\xff\xfeid"', 1))
    r = cli("check", "--offline", "--json", "--migrations", str(sample))
    assert r.returncode == 1, r.stderr
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "snapshot-invalid"]
    assert found and found[0]["files"] == ["meta/0001_snapshot.json"] and "UTF-8" in found[0]["message"]


@pytest.mark.pg
def test_health_says_healthy(cli, pg_url: str, tmp_path: Path) -> None:
    r = cli("health", "--database-url", pg_url, cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "healthy"
