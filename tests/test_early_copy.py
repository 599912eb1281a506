"""A rehearsal's copy asked for at the command's start, before psycopg loads (db/early_copy.py): made
only when a template copy is certainly allowed, the one the rehearsal runs on, and dropped on every
other way out (nothing pending, a refusal, a usage error, a failed rehearsal of migrate --rehearse)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gtsd_tui import cli as cli_module
from gtsd_tui.db import early_copy
from gtsd_tui.services import rehearse_copy
from tests.helpers.folders import make_folder
from tests.test_rehearse import BASE, applied_base, cli_args, leftovers

pytestmark = pytest.mark.pg


def dbname(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])


def with_db(url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})


def started(monkeypatch: pytest.MonkeyPatch) -> list[early_copy.EarlyCopy]:
    """Every early copy the command asks for."""
    seen: list[early_copy.EarlyCopy] = []
    real = early_copy.start

    def start(url: str, target: str) -> early_copy.EarlyCopy | None:
        early = real(url, target)
        if early is not None:
            seen.append(early)
        return early

    monkeypatch.setattr(early_copy, "start", start)
    return seen


def test_the_libpq_is_found_without_importing_psycopg() -> None:
    code = (
        "import sys; from gtsd_tui.db.early_copy import bundled_libpq; p = bundled_libpq(); "
        "print(p); print('psycopg' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert Path(out[0]).name.startswith("libpq") and Path(out[0]).is_file(), out
    assert out[1] == "False"


def test_an_early_copy_is_a_copy_of_the_target_and_finishing_drops_it(cli, tmp_path: Path, pg_url: str) -> None:
    applied_base(cli, tmp_path, pg_url)
    early = early_copy.start(pg_url, dbname(pg_url))
    assert early is not None and early.made()
    with psycopg.connect(with_db(pg_url, early.name)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (500,)
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (1,)
    assert leftovers(pg_url) == [early.name]
    rehearse_copy.finish_early_copy(early)
    assert leftovers(pg_url) == []
    rehearse_copy.finish_early_copy(early)  # twice: nothing more to do


def test_no_early_copy_while_someone_else_is_connected_to_the_target(cli, tmp_path: Path, pg_url: str) -> None:
    applied_base(cli, tmp_path, pg_url)
    with psycopg.connect(pg_url):
        early = early_copy.start(pg_url, dbname(pg_url))
        assert early is not None and not early.made()
    assert leftovers(pg_url) == []


def test_a_session_leaving_a_moment_later_does_not_stop_the_copy(cli, tmp_path: Path, pg_url: str) -> None:
    """A session closed just before (the command run a moment ago) leaves the server with a delay: the
    copy waits for it a little, as the ordinary path does, instead of giving up at once."""
    applied_base(cli, tmp_path, pg_url)
    conn = psycopg.connect(pg_url)
    closer = threading.Timer(0.3, conn.close)
    closer.start()
    try:
        early = early_copy.start(pg_url, dbname(pg_url))
        assert early is not None and early.made()
    finally:
        closer.join()
    rehearse_copy.finish_early_copy(early)
    assert leftovers(pg_url) == []


def test_an_autovacuum_worker_on_the_target_does_not_stop_the_copy(pg_server: str, pg_url: str) -> None:
    """CREATE DATABASE ... TEMPLATE stops an autovacuum worker on the source itself; counting it as a
    connected session refused the copy whenever autovacuum happened to visit the target."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        slow = "autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1"
        conn.execute(f"CREATE TABLE big (a int, b text) WITH ({slow}, autovacuum_vacuum_threshold = 0)")
        conn.execute("INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g")
        conn.execute("DELETE FROM big WHERE a % 2 = 0")
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET autovacuum_naptime = 1")
        admin.execute("SELECT pg_reload_conf()")
        try:
            worker = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'autovacuum worker'"
            for _ in range(300):
                if admin.execute(worker, (dbname(pg_url),)).fetchone() != (0,):
                    break
                time.sleep(0.1)
            else:
                pytest.fail("no autovacuum worker came to the target in 30 s")
            early = early_copy.start(pg_url, dbname(pg_url))
            assert early is not None and early.made()
            rehearse_copy.finish_early_copy(early)
            assert leftovers(pg_url) == []
        finally:
            admin.execute("ALTER SYSTEM RESET autovacuum_naptime")
            admin.execute("SELECT pg_reload_conf()")


def test_the_rehearsal_runs_on_the_copy_asked_for_at_the_start(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = applied_base(cli, tmp_path, pg_url)
    seen = started(monkeypatch)
    used: list[Any] = []
    real = rehearse_copy._taken_over

    def taken_over(url: str, early: Any, session: Any) -> Any:
        clone = real(url, early, session)
        used.append(clone)
        return clone

    monkeypatch.setattr(rehearse_copy, "_taken_over", taken_over)
    assert cli_module.main(["rehearse", "--json", "--to", "0001_mixed", *cli_args(folder, pg_url)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "template" and out["applied"] == ["0001_mixed"], out
    assert [e.name for e in seen] == [c.name for c in used]  # the copy made at the start is the one run on
    assert leftovers(pg_url) == []


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["--to", "0000_base"], 0),  # nothing pending
        (["--to", "0099_nope"], 2),  # refused by the plan
        (["--no-such-flag"], 2),  # a usage error, found after the copy was asked for
    ],
)
def test_every_other_way_out_drops_the_early_copy(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, extra: list[str], code: int
) -> None:
    folder = applied_base(cli, tmp_path, pg_url)
    seen = started(monkeypatch)
    try:
        rc = cli_module.main(["rehearse", *cli_args(folder, pg_url), *extra])
    except SystemExit as exc:
        rc = int(exc.code or 0)
    assert rc == code
    assert len(seen) == 1 and seen[0].made()  # a copy was made, then dropped
    assert leftovers(pg_url) == []


def test_migrate_rehearse_applies_only_after_a_rehearsal_that_succeeded(cli, tmp_path: Path, pg_url: str) -> None:
    bad = "ALTER TABLE users ADD COLUMN d int;\n--> statement-breakpoint\nSELECT 1 / 0;\n"
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("bad", bad)])
    r = cli("migrate", "--rehearse", *cli_args(folder, pg_url))
    assert r.returncode == 3 and "rehearsal failed, nothing applied" in r.stderr and "22012" in r.stderr, r.stderr
    with psycopg.connect(pg_url) as conn:  # the rehearsal ran first: not even the good file was applied
        assert conn.execute("SELECT to_regclass('public.users')").fetchone() == (None,)
    assert leftovers(pg_url) == []
    (folder / "0001_bad.sql").write_text("ALTER TABLE users ADD COLUMN d int;\n")
    r = cli("migrate", "--rehearse", *cli_args(folder, pg_url))
    assert r.returncode == 0, r.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (2,)
        assert conn.execute("SELECT to_regclass('public.users')").fetchone() == ("users",)
    assert leftovers(pg_url) == []
