"""A new user's first commands (real processes, real drizzle-kit / drizzle-orm): where the folder is looked
for, a folder that is not there, ``new`` in a fresh project."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.config import load_settings, missing_folder_message
from tests.helpers.node import drizzle_kit_check, drizzle_migrate, drizzle_rows


def test_folder_discovery_looks_where_drizzle_kit_writes_first(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "drizzle").mkdir()
    s = load_settings(cwd=tmp_path, environ={})
    assert s.migrations_dir == tmp_path / "drizzle" and s.migrations_source == "default"
    (tmp_path / "drizzle.config.ts").write_text('export default { out: "./migrations" };\n')
    assert load_settings(cwd=tmp_path, environ={}).migrations_dir == tmp_path / "migrations"


def test_a_missing_folder_names_what_was_tried(tmp_path: Path) -> None:
    s = load_settings(cwd=tmp_path, environ={})
    assert s.migrations_dir == tmp_path / "drizzle"  # where `new` (as drizzle-kit generate) creates it
    assert missing_folder_message(s) == (
        f"{tmp_path / 'drizzle'}: migrations folder not found "
        "(looked in ./drizzle, ./migrations, ./apps/api/src/db/migrations; use --migrations DIR)"
    )
    (tmp_path / "drizzle.config.ts").write_text("export default { dialect: 'postgresql' };\n")
    assert "looked in drizzle.config out (none set), ./drizzle" in missing_folder_message(load_settings(cwd=tmp_path))
    s = load_settings(cwd=tmp_path, migrations="db/m", environ={})
    assert "(from --migrations; use --migrations DIR)" in missing_folder_message(s)


def test_the_console_refuses_a_missing_folder_as_the_cli_does(cli, tmp_path: Path) -> None:
    env = {"GTSD_TUI_HEADLESS": "1", "GTSD_TUI_EXIT_WHEN_READY": "1"}  # had it opened, it closes at once
    status = cli("status", cwd=tmp_path, env=env, timeout=60)
    console = cli(cwd=tmp_path, env=env, timeout=60)
    assert status.returncode == console.returncode == 2
    assert console.stderr == status.stderr and "looked in ./drizzle, ./migrations" in console.stderr
    assert not (tmp_path / ".gtsd").exists()  # no embedded server started for a console that cannot open


@pytest.mark.pg
@pytest.mark.node
def test_new_in_a_fresh_project_creates_the_folder_and_journal(cli, tmp_path: Path, pg_url: str) -> None:
    bad = cli("new", "!!", cwd=tmp_path)
    assert bad.returncode == 2 and not (tmp_path / "drizzle").exists()  # bad input: nothing written
    r = cli("new", "init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "drizzle"
    assert (folder / "meta" / "_journal.json").is_file() and (folder / "0000_init.sql").is_file()
    sql = folder / "0000_init.sql"
    sql.write_text(sql.read_text() + 'CREATE TABLE "first" ("id" serial PRIMARY KEY);\n')
    assert drizzle_kit_check(folder).returncode == 0
    assert drizzle_migrate(pg_url, folder).returncode == 0 and len(drizzle_rows(pg_url)) == 1


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("postgresql://app:pa%zzss@127.0.0.1:5432/db", "password"),
        ("postgresql://a%zzpp:secret@127.0.0.1:5432/db", "user"),
        ("postgresql://app:secret@127.0.0.1:5432/d%b", "database name"),
    ],
)
def test_a_bad_percent_escape_names_the_part_and_where_the_url_came_from(
    cli, sample: Path, tmp_path: Path, url: str, part: str
) -> None:
    flag = cli("status", "--migrations", str(sample), "--database-url", url, cwd=tmp_path)
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    dotenv = cli("status", "--migrations", str(sample), cwd=tmp_path)
    for r, origin in ((flag, "--database-url"), (dotenv, "DATABASE_URL in .env")):
        assert r.returncode == 2
        assert r.stderr.startswith(f"gtsd-tui: {origin} postgresql://")
        assert f"a % in its {part} is not followed by two hex digits" in r.stderr
        assert "pa%zzss" not in r.stderr and "secret" not in r.stderr and "zzss" not in r.stderr


@pytest.mark.pg
def test_nothing_pending_is_said_and_status_names_the_journal_when(cli, sample: Path, pg_url: str) -> None:
    base = ("--migrations", str(sample), "--database-url", pg_url)
    assert cli("migrate", *base).returncode == 0
    lint = cli("lint", *base)
    assert lint.returncode == 0 and lint.stdout.startswith("nothing pending: every migration of the folder is applied")
    rehearse = cli("rehearse", *base)
    assert rehearse.returncode == 0, rehearse.stderr
    assert rehearse.stdout.startswith("nothing pending: every migration of the folder is applied")
    status = cli("status", *base)
    header = status.stdout.splitlines()[1]
    assert "CREATED (JOURNAL WHEN)" in header and "APPLIED AT" not in header
