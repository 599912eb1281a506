"""A migration sent in one round trip (``db/batch.py``) still fails where drizzle-orm would, located at
file:line:col, and writes drizzle-orm's rows: first, middle and last chunk, errors with and without a
server position, a DO block, a CONCURRENTLY migration before a failing one, ``--tx all``, and chunks
that are not lexically complete (sent one by one, as drizzle-orm sends them)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.migrations.hashing import split_chunks
from gtsd_tui.db.batch import MARK, batchable, complete, run_batch
from tests.helpers.folders import make_folder

pytestmark = pytest.mark.pg

THREE = "CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);\n--> statement-breakpoint\n{}"


def migrate(cli, folder: Path, url: str, *extra: str):
    return cli("migrate", "--migrations", str(folder), "--database-url", url, "--json", *extra)


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def row_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone()[0]:
            return 0
        return conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0]


def error_of(r) -> dict:
    assert r.returncode == 3, (r.stdout, r.stderr)
    return json.loads(r.stdout)["error"]


@pytest.mark.parametrize(
    ("sql", "line", "column", "sqlstate"),
    [
        # first chunk, a position from the server
        ("CREATE TABLE a (id integr);\n--> statement-breakpoint\nCREATE TABLE b (id int);", 1, 20, "42704"),
        # a middle chunk, no position (relation exists): the statement's start
        (
            "CREATE TABLE a (id int);\n--> statement-breakpoint\n\nCREATE TABLE a (id int);\n"
            "--> statement-breakpoint\nCREATE TABLE c (id int);",
            4,
            1,
            "42P07",
        ),
        # the last chunk, a position several lines in
        (THREE.format("CREATE TABLE c (\n  id int,\n  name txet\n);"), 7, 8, "42704"),
        # the last chunk, a runtime error without position
        (THREE.format("SELECT 1/0;"), 5, 1, "22012"),
    ],
)
def test_errors_are_located_in_the_chunk_that_failed(cli, tmp_path: Path, pg_url: str, sql, line, column, sqlstate):
    folder = make_folder(tmp_path / "m", [("ok", "CREATE TABLE kept (id int);"), ("bad", sql)])
    err = error_of(migrate(cli, folder, pg_url))
    assert (err["line"], err["column"], err["sqlstate"]) == (line, column, sqlstate)
    assert err["file"].endswith("0001_bad.sql")
    assert tables(pg_url) == {"kept"} and row_count(pg_url) == 1  # the failing file left nothing


def test_a_multibyte_file_is_located_by_characters(cli, tmp_path: Path, pg_url: str) -> None:
    sql = "COMMENT ON SCHEMA public IS 'ünïcödé ✓';\n--> statement-breakpoint\nCREATE TABLE ü (id intt);"
    folder = make_folder(tmp_path / "m", [("utf8", sql)])
    err = error_of(migrate(cli, folder, pg_url))
    assert (err["line"], err["column"], err["sqlstate"]) == (3, 20, "42704")


def test_do_block_error_in_a_middle_chunk(cli, tmp_path: Path, pg_url: str) -> None:
    sql = (
        "CREATE TABLE t (id int);\n--> statement-breakpoint\nDO $$\nBEGIN\n  PERFORM 1;\n"
        "  INSERT INTO missing_table VALUES (1);\nEND $$;\n--> statement-breakpoint\nCREATE TABLE u (id int);"
    )
    folder = make_folder(tmp_path / "m", [("do", sql)])
    err = error_of(migrate(cli, folder, pg_url))
    assert (err["line"], err["column"], err["sqlstate"]) == (6, 15, "42P01")
    assert tables(pg_url) == set() and row_count(pg_url) == 0


def test_after_a_concurrently_migration(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("t", "CREATE TABLE t (id int);"),
            ("idx", "CREATE INDEX CONCURRENTLY t_id ON t (id);"),
            ("bad", THREE.format("ALTER TABLE t ADD COLUMN x nosuchtype;")),
        ],
    )
    err = error_of(migrate(cli, folder, pg_url))
    assert (err["line"], err["column"], err["sqlstate"]) == (5, 28, "42704")
    assert tables(pg_url) == {"t"} and row_count(pg_url) == 2
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass").fetchone()[0]


def test_tx_all_locates_the_error_in_the_second_migration_and_rolls_back_all(cli, tmp_path: Path, pg_url) -> None:
    folder = make_folder(
        tmp_path / "m",
        [("a", "CREATE TABLE a0 (id int);"), ("b", THREE.format("INSERT INTO a VALUES ('x');")), ("c", "SELECT 1;")],
    )
    err = error_of(migrate(cli, folder, pg_url, "--tx", "all"))
    assert (err["line"], err["column"], err["sqlstate"]) == (5, 23, "22P02")
    assert err["rolled_back"] == ["0000_a"]
    assert tables(pg_url) == set() and row_count(pg_url) == 0


def test_an_unterminated_quote_is_not_joined_to_the_next_chunk(cli, tmp_path: Path, pg_url: str) -> None:
    # Joined, "SELECT 'abc ... ';" would be one valid statement; drizzle-orm sends the chunks apart,
    # and the first fails on its own.
    sql = "CREATE TABLE a (id int);\n--> statement-breakpoint\nSELECT 'abc\n--> statement-breakpoint\n';"
    assert not batchable(split_chunks(sql))
    folder = make_folder(tmp_path / "m", [("q", sql)])
    err = error_of(migrate(cli, folder, pg_url))
    assert (err["line"], err["sqlstate"]) == (3, "42601")
    assert tables(pg_url) == set()


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("CREATE TABLE a (id int);", True),
        ("SELECT 'it''s';", True),
        ("SELECT 1; -- a comment with a ' quote", True),
        ("DO $$ BEGIN PERFORM 1; END $$;", True),
        ("SELECT 'abc", False),
        ('SELECT "abc', False),
        ("DO $x$ BEGIN", False),
        ("SELECT 1 /* unclosed", False),
        ("SELECT E'\\'", False),
    ],
)
def test_complete(text: str, ok: bool) -> None:
    assert complete(text) is ok


def test_run_batch_reports_the_failing_chunk_with_its_own_position(pg_url: str) -> None:
    chunks = split_chunks("SELECT 1;\n--> statement-breakpoint\nSELECT 2;\n--> statement-breakpoint\nSELECT nope;")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert run_batch(conn, chunks[:2], head="BEGIN", tail="COMMIT") is None
        index, err, _ = run_batch(conn, chunks, head="BEGIN", tail="COMMIT")
        assert index == 2 and err.sqlstate == "42703"
        assert chunks[2].text[err.statement_position - 1 :].startswith("nope")
        conn.execute("ROLLBACK")
        index, err, _ = run_batch(conn, chunks[:1], tail="SELECT 1/0")
        assert index == 1 and err.sqlstate == "22012"
        # a statement of the migration's own that returns text shaped like a marker is not one
        fake = split_chunks(f"SELECT '{MARK}0:5';\n--> statement-breakpoint\nSELECT 1/0;")
        index, _, _ = run_batch(conn, fake)
        assert index == 1


# PostgreSQL parses a simple query whole before running any of it: a syntax error in one chunk stops the
# batch before the earlier chunks run. The migration is then run one statement at a time, as drizzle-orm
# sends it, so the error is the one drizzle-orm meets first, at its place.
@pytest.mark.parametrize(
    ("sql", "line", "column", "sqlstate", "words"),
    [
        # a syntax error in the middle chunk
        (
            THREE.format("CREATE TABLE c (\n  id int,\n);\n--> statement-breakpoint\nCREATE TABLE d (id int);"),
            7,
            1,
            "42601",
            'at or near ")"',
        ),
        # in the first chunk
        ("CREATE TABLE a (id int,);\n--> statement-breakpoint\nCREATE TABLE b (id int);", 1, 24, "42601", ")"),
        # at the end of the last chunk: "at end of input", as when the chunk is sent alone
        (THREE.format("CREATE TABLE c (id int"), 5, 23, "42601", "at end of input"),
        # an earlier chunk fails at run time: that error comes first, as under drizzle-orm
        ("SELECT 1/0;\n--> statement-breakpoint\nCREATE TABLE b (id int,);", 1, 1, "22012", "division by zero"),
        # in a DO block after a good chunk
        (
            "CREATE TABLE a (id int);\n--> statement-breakpoint\nDO $$ BEGIN\n  PERFORM 1 +;\nEND $$;",
            4,
            14,
            "42601",
            "",
        ),
    ],
)
def test_a_syntax_error_is_located_as_drizzle_orm_meets_it(
    cli, tmp_path: Path, pg_url: str, sql, line, column, sqlstate, words
) -> None:
    folder = make_folder(tmp_path / "m", [("ok", "CREATE TABLE z (id int);"), ("bad", sql)])
    r = migrate(cli, folder, pg_url)
    err = error_of(r)
    assert (err["file"].endswith("0001_bad.sql"), err["line"], err["column"], err["sqlstate"]) == (
        True,
        line,
        column,
        sqlstate,
    ), err
    assert words in err["message"]
    assert tables(pg_url) == {"z"} and row_count(pg_url) == 1  # the first migration stays, the second is rolled back


def test_tx_all_syntax_error_in_the_second_migration_rolls_back_all(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("a", "CREATE TABLE a (id int);"),
            ("b", "CREATE TABLE b (id int);\n--> statement-breakpoint\nCREATE TABLE c (,);"),
        ],
    )
    err = error_of(migrate(cli, folder, pg_url, "--tx", "all"))
    assert (err["line"], err["column"], err["sqlstate"]) == (3, 17, "42601")
    assert err["rolled_back"] == ["0000_a"]
    assert tables(pg_url) == set() and row_count(pg_url) == 0


def test_run_batch_tells_a_rejected_query(pg_url: str) -> None:
    from gtsd_tui.db.batch import REJECTED

    chunks = split_chunks("SELECT 1;\n--> statement-breakpoint\nSELECT (;\n--> statement-breakpoint\nSELECT 3;")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        index, err, _ = run_batch(conn, chunks, head="BEGIN", tail="COMMIT")
        assert index == REJECTED and err.sqlstate == "42601"
        assert conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE  # nothing ran, not even BEGIN
        index, _, _ = run_batch(conn, chunks)  # no head: the error is past the first chunk
        assert index == REJECTED
        index, err, _ = run_batch(conn, split_chunks("SELECT (;\n--> statement-breakpoint\nSELECT 1/0;"))
        assert index == 0 and chunks[1].text  # the first chunk's own syntax error is that chunk's
