"""Refused means nothing written: every refusal of migrate comes before the first statement (not even
drizzle's schema is created), and the same problems are findings of check / errors of status."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import psycopg
import pytest

from tests.helpers.folders import make_folder, write_journal

pytestmark = pytest.mark.pg

SQL_A = "CREATE TABLE a (id int);\n"
SQL_B = "CREATE TABLE b (id int);\n--> statement-breakpoint\nCREATE TABLE c (id int);\n"


def has_drizzle_schema(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'drizzle'").fetchone() is not None


def public_tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def run(cli, folder: Path, url: str, command: str, *extra: str):
    return cli(command, "--migrations", str(folder), "--database-url", url, *extra)


def assert_refused_before_any_statement(r, url: str, *needles: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    line = [ln for ln in r.stderr.splitlines() if ln.startswith("gtsd-tui:")][-1]
    for needle in needles:
        assert needle in line, (needle, line)
    assert not has_drizzle_schema(url), "the drizzle schema was created by a refused migrate"
    assert public_tables(url) == set()


def test_nul_byte_is_refused_everywhere(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", SQL_A), ("b", "x")])
    (folder / "0001_b.sql").write_bytes(
        b"CREATE TABLE b (id int);\n-- \xc3\xa9t\xc3\xa9\nCREATE TABLE c (id\x00 int);\n"
    )
    where = f"{folder / '0001_b.sql'}:3:19: NUL byte"
    for command in ("status", "check", "lint", "migrate"):
        r = run(cli, folder, pg_url, command)
        assert r.returncode == 2, (command, r.returncode, r.stderr)
        assert where in r.stderr, (command, r.stderr)
    r = cli("lint", str(folder / "0001_b.sql"))
    assert r.returncode == 2 and where in r.stderr
    assert_refused_before_any_statement(run(cli, folder, pg_url, "migrate", "--json"), pg_url, where)
    check = json.loads(run(cli, folder, pg_url, "check", "--json").stdout)
    assert [f["files"] for f in check["findings"] if f["code"] == "nul-byte"] == [["0001_b.sql"]]


def test_journal_entry_without_its_file_is_refused_before_any_ddl(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", SQL_A), ("b", SQL_B)])
    (folder / "0000_a.sql").unlink()  # drizzle-orm: "No file .../0000_a.sql found in ... folder"
    r = run(cli, folder, pg_url, "migrate")
    assert_refused_before_any_statement(r, pg_url, "0000_a.sql", "drizzle-orm refuses")
    # also when every listed file that exists is applied already: drizzle-orm still refuses
    folder2 = make_folder(tmp_path / "m2", [("a", SQL_A)])
    journal = json.loads((folder2 / "meta/_journal.json").read_text())
    journal["entries"].append({**journal["entries"][0], "idx": 1, "when": 1_790_000_001_000, "tag": "0001_gone"})
    write_journal(folder2, journal["entries"])
    assert_refused_before_any_statement(run(cli, folder2, pg_url, "migrate"), pg_url, "0001_gone.sql")


def test_to_an_unknown_tag_is_refused_before_any_ddl(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", SQL_A)])
    assert_refused_before_any_statement(run(cli, folder, pg_url, "migrate", "--to", "no_such_tag"), pg_url, "--to")


def test_plan_refusals_come_before_the_tracking_table(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", SQL_A), ("b", SQL_B)])
    (folder / "0001_b.sql").write_bytes(b"\xef\xbb\xbf" + SQL_B.encode())
    assert_refused_before_any_statement(run(cli, folder, pg_url, "migrate"), pg_url, "BOM")


def test_when_beyond_bigint(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", SQL_A), ("b", SQL_B)])
    entries = json.loads((folder / "meta/_journal.json").read_text())["entries"]
    entries[1]["when"] = 10**19
    write_journal(folder, entries)
    check = run(cli, folder, pg_url, "check", "--json")
    assert check.returncode == 1
    found = [f for f in json.loads(check.stdout)["findings"] if f["code"] == "when-range"]
    assert found and "beyond bigint" in found[0]["message"] and found[0]["files"] == ["0001_b.sql"]
    assert_refused_before_any_statement(run(cli, folder, pg_url, "migrate"), pg_url, "0001_b", "beyond bigint")
    entries[1]["when"] = 2**53 + 1  # JSON.parse rounds it: drizzle-orm would record another created_at
    write_journal(folder, entries)
    assert_refused_before_any_statement(run(cli, folder, pg_url, "migrate"), pg_url, str(2**53))


def test_symlink_out_of_the_folder(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", SQL_A), ("b", SQL_B)])
    outside = tmp_path / "elsewhere.sql"
    outside.write_text(SQL_B)
    (folder / "0001_b.sql").unlink()
    os.symlink(outside, folder / "0001_b.sql")
    status = run(cli, folder, pg_url, "status")
    assert status.returncode == 0 and f"a symbolic link to {outside}" in status.stderr
    check = json.loads(run(cli, folder, pg_url, "check", "--json").stdout)
    assert [(f["code"], f["severity"]) for f in check["findings"]] == [("symlink-outside", "warning")]
    assert_refused_before_any_statement(run(cli, folder, pg_url, "migrate"), pg_url, "--allow-symlinks")
    r = run(cli, folder, pg_url, "migrate", "--allow-symlinks")
    assert r.returncode == 0 and public_tables(pg_url) == {"a", "b", "c"}, r.stderr
    inside = folder / "0002_c.sql"  # a link to a file inside the folder is fine
    os.symlink(folder / "0000_a.sql", inside)
    assert "symlink-outside" not in {
        f["code"]
        for f in json.loads(run(cli, folder, pg_url, "check", "--json").stdout)["findings"]
        if f["files"] == ["0002_c.sql"]
    }


def test_control_characters_in_tags_are_escaped(cli, tmp_path: Path, pg_url: str) -> None:
    evil = "evil\x1b]0;owned\x07\x1b[2J"
    folder = make_folder(tmp_path / "m", [("a", SQL_A), (evil, SQL_B)])
    outputs = [
        run(cli, folder, pg_url, "status"),
        run(cli, folder, pg_url, "check"),
        run(cli, folder, pg_url, "migrate", "--dry-run"),
        run(cli, folder, pg_url, "status", "--json"),
        run(cli, folder, pg_url, "migrate"),
        run(cli, folder, pg_url, "migrate", "--to", f"0001_{evil}x"),  # the tag in an error message
        run(cli, folder, pg_url, "forget", f"0001_{evil}", "--yes"),
    ]
    for r in outputs:
        assert "\x1b" not in r.stdout + r.stderr and "\x07" not in r.stdout + r.stderr, r.args
    assert "0001_evil\\x1b]0;owned\\x07\\x1b[2J" in outputs[0].stdout
    assert any(m["tag"] == f"0001_{evil}" for m in json.loads(outputs[3].stdout)["migrations"])
    assert re.search(r"0001_evil\\x1b", outputs[4].stdout) and outputs[4].returncode == 0


@pytest.mark.node
def test_drizzle_orm_refuses_the_same_folder_before_any_ddl(tmp_path: Path, pg_url: str) -> None:
    """The measured behaviour migrate copies: drizzle-orm reads every journal entry's file first."""
    from tests.helpers.node import drizzle_migrate

    folder = make_folder(tmp_path / "m", [("a", SQL_A), ("b", SQL_B)])
    (folder / "0000_a.sql").unlink()
    r = drizzle_migrate(pg_url, folder)
    assert r.returncode != 0 and "No file" in r.stderr and "0000_a.sql" in r.stderr, r.stderr
    assert not has_drizzle_schema(pg_url) and public_tables(pg_url) == set()


async def test_console_rows_escape_control_characters(tmp_path: Path, pg_url: str) -> None:
    from gtsd_tui.config import load_settings
    from gtsd_tui.services.console import ConsoleBackend
    from gtsd_tui.services.project import Project
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.widgets.rows import RowTable

    evil = "evil\x1b]0;owned\x07\x1b[2J"
    folder = make_folder(tmp_path / "m", [("a", SQL_A), (evil, SQL_B)])
    project = Project(load_settings(cwd=tmp_path, database_url=pg_url, migrations=str(folder), environ={}))
    app = GtsdApp(ConsoleBackend(project))
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.query_one("#pending-table", RowTable)
        for _ in range(200):
            if len(table.keys) == 2:
                break
            await pilot.pause(0.05)
        assert table.keys == ["0000_a", f"0001_{evil}"]  # the key stays the real tag
        cells = [str(c[1]) for c in table.cells]  # (state, tag)
        assert cells[1] == "0001_evil\\x1b]0;owned\\x07\\x1b[2J"
        assert not any("\x1b" in "".join(s.text for s in table.render_line(y)) for y in range(3))


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_lint_output_escapes_control_characters_in_file_names(cli, tmp_path: Path, fmt: str) -> None:
    evil = tmp_path / "0001_evil\x1b]0;owned\x07.sql"
    evil.write_text('CREATE INDEX "users_email_idx" ON "users" ("email");')
    r = cli("lint", str(evil), "--format", fmt, cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    assert "require-concurrent-index-creation" in r.stdout, r.stdout
    assert "\x1b" not in r.stdout + r.stderr and "\x07" not in r.stdout + r.stderr, r.stdout
