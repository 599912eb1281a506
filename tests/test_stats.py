"""Live statistics against a real PostgreSQL: blockers, privileges, advice, health, the pane."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.server.advisor import Advice, read_pool_max

pytestmark = pytest.mark.pg


def test_blocked_session_and_its_blocker(cli, pg_url: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as setup:
        setup.execute("CREATE TABLE accounts (id int)")
    holder = psycopg.connect(pg_url)  # a transaction holding a lock, then idle in transaction
    holder.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
    holder_pid = holder.info.backend_pid
    waiter = psycopg.connect(pg_url, autocommit=True)
    waiter_pid = waiter.info.backend_pid
    t = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM accounts"), daemon=True)
    t.start()
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            r = cli("stats", "--json", "--interval", "0.2", "--database-url", pg_url, cwd=tmp_path)
            assert r.returncode == 0, r.stderr
            data = json.loads(r.stdout)
            if data["blocked"]:
                break
        blocked = {b["pid"]: b for b in data["blocked"]}
        assert holder_pid in blocked[waiter_pid]["blocked_by"]
        assert blocked[waiter_pid]["mode"] == "AccessShareLock"
        assert blocked[waiter_pid]["relation"] == "accounts"
        assert data["idle_in_tx"] == 1 and data["waiting"] >= 1
        text = cli("stats", "--interval", "0.2", "--database-url", pg_url, cwd=tmp_path).stdout
        assert f"blocked: pid {waiter_pid}" in text and str(holder_pid) in text
    finally:
        holder.rollback()
        t.join(5)
        holder.close()
        waiter.close()


def test_role_without_pg_monitor_sees_what_it_can(cli, pg_url: str, tmp_path: Path) -> None:
    name = "mon_" + pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN")
    url = pg_url.replace("postgres@", f"{name}@", 1)
    r = cli("stats", "--json", "--indexes", "--interval", "0.1", "--database-url", url, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["can_see_all"] is False
    assert any("pg_monitor" in n for n in data["notices"])


def test_pool_advice_follows_the_guide_rule(tmp_path: Path) -> None:
    a = Advice(max_connections=100, reserved=3, instances=5, pool_max=20)
    assert (a.usable, a.per_instance, a.demand, a.headroom) == (97, 19, 100, -3)
    assert a.warning and "set max to 19 per instance" in a.warning
    ok = Advice(100, 3, 4, 20)
    assert ok.headroom == 17 and ok.warning is None
    conn_ts = tmp_path / "apps/api/src/db/connection.ts"
    conn_ts.parent.mkdir(parents=True)
    conn_ts.write_text("export const client = postgres(url, {\n  // max: 99\n  max: 20,\n  idle_timeout: 20,\n});\n")
    assert read_pool_max(tmp_path) == 20


def test_advice_in_the_cli(cli, pg_url: str, tmp_path: Path) -> None:
    r = cli(
        "stats",
        "--json",
        "--instances",
        "5",
        "--pool-max",
        "20",
        "--interval",
        "0.1",
        "--database-url",
        pg_url,
        cwd=tmp_path,
    )
    advice = json.loads(r.stdout)["advice"]
    with psycopg.connect(pg_url) as conn:
        mx = int(conn.execute("SHOW max_connections").fetchone()[0])
        res = int(conn.execute("SHOW superuser_reserved_connections").fetchone()[0])
    assert advice["per_instance"] == (mx - res) // 5 and advice["demand"] == 100


def test_health(cli, pg_url: str, tmp_path: Path) -> None:
    ok = cli("health", "--database-url", pg_url, cwd=tmp_path)
    assert ok.returncode == 0 and json.loads(ok.stdout)["database"] == "connected"


def test_health_against_a_stopped_server(cli, outside_tmp: Path) -> None:
    tmp_path = outside_tmp
    from gtsd_tui.db.embedded import ensure_server, stop_server

    server = ensure_server(tmp_path / ".gtsd", fast=True)
    url = server.url()
    assert cli("health", "--database-url", url, cwd=tmp_path).returncode == 0
    stop_server(tmp_path / ".gtsd")
    r = cli("health", "--database-url", url, cwd=tmp_path)
    data = json.loads(r.stdout)
    assert r.returncode == 3 and data["database"] == "disconnected" and data["status"] == "unhealthy"


async def test_connections_pane_shows_a_new_session(sample: Path, pg_url: str) -> None:
    from tests.test_tui import make_app, wait_for

    app = make_app(sample, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        app.connections.interval = 0.5
        await wait_for(pilot, lambda: app.connections.stats is not None)
        before = app.connections.stats
        with psycopg.connect(pg_url, autocommit=True, application_name="brand-new-session") as other:
            other.execute("SELECT 1")
            polls = 0
            seen = False
            last = before
            while polls < 2 and not seen:
                await wait_for(pilot, lambda prev=last: app.connections.stats is not prev)
                last = app.connections.stats
                polls += 1
                seen = any(s.application == "brand-new-session" for s in app.connections.shown)
            assert seen, "the new session did not show within two refreshes"
