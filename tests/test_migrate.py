"""gtsd-tui migrate against a real PostgreSQL: rows, transactions, refusals, error locations."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.helpers.folders import make_folder

pytestmark = pytest.mark.pg


def rows(url: str) -> list[tuple[int, str, int]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id").fetchall()


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def migrate(cli, folder: Path, url: str, *extra: str):
    return cli("migrate", "--migrations", str(folder), "--database-url", url, *extra)


def test_applies_the_sample_and_is_idempotent(cli, sample: Path, pg_url: str) -> None:
    r = migrate(cli, sample, pg_url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("✓") == 4
    assert {"users", "tasks", "partners", "today_checklist_items"} <= tables(pg_url)
    again = migrate(cli, sample, pg_url, "--json")
    assert json.loads(again.stdout)["applied"] == [] and len(rows(pg_url)) == 4


def test_syntax_error_in_third_chunk_is_located(cli, tmp_path: Path, pg_url: str) -> None:
    sql = (
        "CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);\n"
        "--> statement-breakpoint\n\nCREATE TABLE c (\n  id int,\n  name txet,\n  x int\n);"
    )
    folder = make_folder(tmp_path / "m", [("ok", "CREATE TABLE before_it (id int);"), ("bad", sql)])
    r = migrate(cli, folder, pg_url)
    assert r.returncode == 3
    # line 8 ("  name txet,"), column 8 ("txet")
    assert f'{folder / "0001_bad.sql"}:8:8: 42704: type "txet" does not exist' in r.stderr
    assert "  name txet," in r.stderr and "^" in r.stderr and "Traceback" not in r.stderr
    assert tables(pg_url) == {"before_it"}  # per-file: the first committed, nothing of the second
    assert len(rows(pg_url)) == 1


def test_a_failure_on_a_terminal_prints_the_error_line_first_then_the_excerpt(tmp_path: Path, pg_url: str) -> None:
    """On a terminal (a real pty for stdout and stderr): the progress bar's line is cleared, the error line
    comes first, and the caret excerpt is on lines of its own (not one line with a literal ``\\x0a``)."""
    import os
    import pty
    import subprocess
    import sys

    sql = "CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE c (\n  id int,\n  name txet\n);"
    folder = make_folder(tmp_path / "m", [("ok", "CREATE TABLE before_it (id int);"), ("bad", sql)])
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    args = [sys.executable, "-m", "gtsd_tui", "migrate", "--migrations", str(folder), "--database-url", pg_url]
    proc = subprocess.Popen(args, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(60) == 3
    out = b"".join(chunks).decode()
    assert "\\x0a" not in out
    lines = [line.split("\r")[-1].replace("\x1b[K", "") for line in out.replace("\r\n", "\n").split("\n")]
    error = next(i for i, line in enumerate(lines) if "42704" in line)
    assert lines[error].startswith("gtsd-tui: ") and "0001_bad.sql:5:8" in lines[error]
    assert lines[error + 1].strip() == "5 |   name txet" and lines[error + 2].strip() == "^"


def test_runtime_error_inside_do_block_points_into_it(cli, tmp_path: Path, pg_url: str) -> None:
    sql = (
        "CREATE TABLE t (id int);\n--> statement-breakpoint\nDO $$\nBEGIN\n  PERFORM 1;\n"
        "  INSERT INTO missing_table VALUES (1);\nEND $$;"
    )
    folder = make_folder(tmp_path / "m", [("do", sql)])
    r = migrate(cli, folder, pg_url, "--json")
    assert r.returncode == 3
    err = json.loads(r.stdout)["error"]
    assert (err["line"], err["column"], err["sqlstate"]) == (6, 15, "42P01")
    assert tables(pg_url) == set() and rows(pg_url) == []


def test_tx_all_rolls_back_the_batch(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", "CREATE TABLE a (id int);"), ("b", "SELECT 1/0;")])
    r = migrate(cli, folder, pg_url, "--tx", "all", "--json")
    assert r.returncode == 3
    out = json.loads(r.stdout)
    assert out["error"]["rolled_back"] == ["0000_a"] and out["applied"] == []
    assert tables(pg_url) == set()


def test_per_file_failure_lists_what_stays_applied(cli, tmp_path: Path, pg_url: str) -> None:
    """Each migration commits with its row under --tx per-file: when the second fails, --json lists the
    first as applied (it said ``"applied": []`` while the database held it)."""
    folder = make_folder(tmp_path / "m", [("a", "CREATE TABLE a (id int);"), ("b", "SELECT 1/0;")])
    r = migrate(cli, folder, pg_url, "--json")
    assert r.returncode == 3
    out = json.loads(r.stdout)
    assert [a["tag"] for a in out["applied"]] == ["0000_a"] and out["error"]["tag"] == "0001_b"
    assert out["error"]["rolled_back"] == [] and tables(pg_url) == {"a"} and len(rows(pg_url)) == 1


def test_create_index_concurrently_alone_applies(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("t", "CREATE TABLE t (id int);"),
            (
                "idx",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\n--> statement-breakpoint\n"
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id2 ON t (id);",
            ),
        ],
    )
    r = migrate(cli, folder, pg_url)
    assert r.returncode == 0, r.stderr
    assert "(autocommit)" in r.stdout and len(rows(pg_url)) == 2
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_index WHERE indisvalid AND indrelid = 't'::regclass"
        ).fetchone() == (2,)


def test_create_index_concurrently_mixed_is_refused_before_any_sql(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("first", "CREATE TABLE first_one (id int);"),
            ("mixed", "CREATE TABLE t (id int);\n--> statement-breakpoint\nCREATE INDEX CONCURRENTLY t_id ON t (id);"),
        ],
    )
    r = migrate(cli, folder, pg_url)
    assert r.returncode == 2
    assert f"{folder / '0001_mixed.sql'}:3:1: CREATE INDEX CONCURRENTLY" in r.stderr and "Split the file" in r.stderr
    assert tables(pg_url) == set()
    assert migrate(cli, folder, pg_url, "--tx", "all").returncode == 2


def test_out_of_order_is_refused_then_allowed(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("a", "CREATE TABLE a (id int);"), ("b", "CREATE TABLE b (id int);")])
    with psycopg.connect(pg_url, autocommit=True) as conn:  # b is applied; a has an older `when`
        from gtsd_tui.core.migrations.folder import load_folder
        from gtsd_tui.db.history import ensure_table, insert_row_sql

        b = load_folder(folder).migrations[1]
        ensure_table(conn, "drizzle", "__drizzle_migrations")
        conn.execute(insert_row_sql("drizzle", "__drizzle_migrations"), (b.hash, b.when))
        conn.execute("CREATE TABLE b (id int)")
    r = migrate(cli, folder, pg_url)
    assert r.returncode == 1 and "out-of-order: 0000_a" in r.stderr and "--allow-out-of-order" in r.stderr
    assert tables(pg_url) == {"b"}
    ok = migrate(cli, folder, pg_url, "--allow-out-of-order")
    assert ok.returncode == 0 and tables(pg_url) == {"a", "b"}


def test_to_tag_and_dry_run_touch_only_what_they_say(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [(s, f"CREATE TABLE {s} (id int);") for s in ("a", "b", "c")])
    dry = migrate(cli, folder, pg_url, "--dry-run", "--to", "0001_b")
    assert dry.returncode == 0 and "CREATE TABLE a" in dry.stdout and "not applied (after --to): 0002_c" in dry.stdout
    assert tables(pg_url) == set()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)
    assert migrate(cli, folder, pg_url, "--to", "0001_b").returncode == 0
    assert tables(pg_url) == {"a", "b"}


def test_percent_signs_and_empty_chunks_run_verbatim(cli, tmp_path: Path, pg_url: str) -> None:
    sql = (
        "CREATE TABLE p (s text);\n--> statement-breakpoint\n\n--> statement-breakpoint\n"
        "INSERT INTO p VALUES ('100%'), ('%s');"
    )
    folder = make_folder(tmp_path / "m", [("pct", sql)])
    assert migrate(cli, folder, pg_url).returncode == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT s FROM p ORDER BY s").fetchall() == [("%s",), ("100%",)]


def test_role_without_create_on_database_works_when_schema_exists(cli, sample: Path, pg_url: str) -> None:
    name = "limited_" + pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA drizzle")
        conn.execute(f"CREATE ROLE {name} LOGIN")
        conn.execute(f"GRANT ALL ON SCHEMA drizzle, public TO {name}")
        conn.execute(f'REVOKE CREATE ON DATABASE "{pg_url.rsplit("/", 1)[1]}" FROM PUBLIC')
    url = pg_url.replace("postgres@", f"{name}@", 1)
    r = migrate(cli, sample, url)
    assert r.returncode == 0, r.stderr
    assert len(rows(pg_url)) == 4
