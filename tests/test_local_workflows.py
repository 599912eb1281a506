"""reset, backup/restore, revert and forget against real PostgreSQL servers."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.helpers.node import drizzle_migrate

pytestmark = pytest.mark.pg


def test_reset_of_a_remote_url_is_refused_before_any_connection(monkeypatch, sample: Path, capsys) -> None:
    import gtsd_tui.db.connect
    from gtsd_tui.cli import main

    def no_connect(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(psycopg, "connect", no_connect)
    monkeypatch.setattr(gtsd_tui.db.connect.psycopg, "connect", no_connect)
    code = main(
        ["reset", "--yes", "--migrations", str(sample), "--database-url", "postgresql://u:p@prod-db.invalid:5432/gtsd"]
    )
    err = capsys.readouterr().err
    assert code != 0 and "reset refused: prod-db.invalid is not a local server" in err and ":p@" not in err
    code = main(
        [
            "reset",
            "--yes",
            "--migrations",
            str(sample),
            "--database-url",
            "postgresql://u@127.0.0.1:5432/gtsd?sslmode=require",
        ]
    )
    assert code != 0 and "sslmode=require" in capsys.readouterr().err


def test_reset_applies_everything_then_clones_the_template(cli, sample: Path, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE leftover (id int)")
    first = cli("reset", "--yes", "--migrations", str(sample), "--database-url", pg_url)
    assert first.returncode == 0, first.stderr
    assert "migrate (4)" in first.stdout and "save template" in first.stdout
    st = json.loads(cli("status", "--json", "--migrations", str(sample), "--database-url", pg_url).stdout)
    assert {m["state"] for m in st["migrations"]} == {"applied"}
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('public.leftover')").fetchone() == (None,)
    second = cli("reset", "--yes", "--migrations", str(sample), "--database-url", pg_url)
    assert second.returncode == 0 and "migrate" not in second.stdout
    assert "clone template" in second.stdout or "swap in prepared copy" in second.stdout
    wait_for_spare(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (email, name, password_hash) VALUES ('a@x.invalid', 'A', 'h')")
    third = cli("reset", "--yes", "--migrations", str(sample), "--database-url", pg_url)
    assert "swap in prepared copy" in third.stdout, third.stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (4,)
    (sample / "0003_today_checklist.sql").write_text((sample / "0003_today_checklist.sql").read_text() + "\n")
    fourth = cli("reset", "--yes", "--migrations", str(sample), "--database-url", pg_url)
    assert "migrate (4)" in fourth.stdout  # a changed migration invalidates the template and the copy


def wait_for_spare(url: str) -> None:
    """Until the background job has made the spare of the current template (see test_reset_faults)."""
    from tests.test_reset_faults import wait_for_spare as made

    made(url, url.rsplit("/", 1)[1])


def test_backup_reset_restore_gives_the_rows_back(cli, sample: Path, pg_url: str, tmp_path: Path) -> None:
    assert cli("migrate", "--migrations", str(sample), "--database-url", pg_url).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (email, name, password_hash) VALUES ('a@x.invalid', 'Ann', 'h'), "
            "('b@x.invalid', 'Bo', 'h')"
        )
    dump = tmp_path / "backup.sql"
    assert cli("backup", str(dump), "--database-url", pg_url, "--migrations", str(sample)).returncode == 0
    assert cli("reset", "--yes", "--migrations", str(sample), "--database-url", pg_url).returncode == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
    r = cli("restore", str(dump), "--database-url", pg_url, "--migrations", str(sample))
    assert r.returncode == 0, r.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT name FROM users ORDER BY name").fetchall() == [("Ann",), ("Bo",)]


def test_forget_then_migrate_runs_it_again(cli, sample: Path, pg_url: str) -> None:
    assert cli("migrate", "--migrations", str(sample), "--database-url", pg_url).returncode == 0
    r = cli("forget", "0003_today_checklist", "--yes", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    st = json.loads(cli("status", "--json", "--migrations", str(sample), "--database-url", pg_url).stdout)
    assert st["migrations"][3]["state"] == "pending"
    again = cli("migrate", "--migrations", str(sample), "--database-url", pg_url)
    assert again.returncode == 0 and "0003_today_checklist" in again.stdout


@pytest.mark.node
def test_revert_of_the_checklist_migration(cli, sample: Path, pg_url: str) -> None:
    assert drizzle_migrate(pg_url, sample).returncode == 0
    r = cli("revert", "0003_today_checklist", "--json", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["tag"] == "0004_revert_today_checklist" and made["todo"] == 0
    with psycopg.connect(pg_url) as conn:  # nothing was applied by revert itself
        assert conn.execute("SELECT to_regclass('public.today_checklist_items') IS NOT NULL").fetchone() == (True,)
    d = drizzle_migrate(pg_url, sample)
    assert d.returncode == 0, d.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('public.today_checklist_items')").fetchone() == (None,)
        types = conn.execute("SELECT typname FROM pg_type WHERE typname LIKE 'checklist_item_%'").fetchall()
        assert types == []
