"""A batch's results are counted instead of marked (``db/batch.results``), and an error is still located
at file:line:col in the statement that failed: the first, a middle and the last statement of a chunk of
several, a DO block, after a CONCURRENTLY migration, behind chunks counted and chunks marked, and
through a real PgBouncer in transaction pooling mode.

- ``results`` agrees with PostgreSQL's parser (pglast's ``split``) on every text it counts;
- a chunk of one statement, as drizzle-kit writes it, is counted without a parser (no marker);
- the statement of several that failed is the one the counted results point at, also when the error
  carries no position (a chunk sent alone only tells the chunk).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.migrations.hashing import split_chunks
from gtsd_tui.db.batch import _NONE, _ONE, complete, results, run_batch
from tests.helpers.folders import make_folder
from tests.test_pgbouncer import bouncer_url  # noqa: F401 - the fixture

CORPUS = Path("/work/shared/corpus/dittofeed/drizzle")
PIECES = [
    "SELECT 1",
    "CREATE TABLE t (id int)",
    " ",
    "\n",
    ";",
    ";",
    "--c;\n",
    "'a;b'",
    "'it''s'",
    '"x;y"',
    "(",
    ")",
    "copy",
    "$$ ; $$",
    "/* ; */",
    "DO $$ BEGIN PERFORM 1; END $$",
    "BEGIN ATOMIC SELECT 1; END",
    "E'\\';'",
    "\u00a0",
    "é",
]
BP = "\n--> statement-breakpoint\n"


def parser_count(text: str) -> int | None:
    from pglast.parser import split

    try:
        return len(split(text))
    except Exception:
        return None  # the server refuses the whole query: nothing is counted then


def test_results_agree_with_the_parser_on_random_shapes() -> None:
    rng = random.Random(27)
    counted = {"plain": 0, "scanned": 0}
    for _ in range(12000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))
        if not complete(text):
            continue  # never batched
        n = results(text)
        expected = parser_count(text)
        if n is None or expected is None:
            continue
        assert n == expected, repr(text)
        counted["plain" if _ONE.fullmatch(text) or _NONE.fullmatch(text) else "scanned"] += 1
    assert counted["plain"] > 300 and counted["scanned"] > 150, counted  # both ways were tested often


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ('CREATE TABLE "t" (\n\t"id" serial PRIMARY KEY NOT NULL\n);\n', 1),
        ('CREATE INDEX "i" ON "t" USING btree ("v");', 1),
        ("SELECT 1; -- it's; a comment", 1),
        ("SELECT 'a;b'", 1),
        ("-- only a comment\n", 0),
        ("", 0),
        (";;\n", 0),
        ("DO $$ BEGIN PERFORM 1; END $$;", 1),
        ("DO $$ BEGIN END $$; /* c */ SELECT 2;", 2),
        ("SELECT 1; SELECT 2", None),  # plain, several: a marker (no parser loaded for it)
        ("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));", None),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;", None),
        ("COPY t TO STDOUT;", None),  # two results
        ("COPY t TO STDOUT /* c */;", None),
        ("SELECT 1;\u00a0", None),  # not a blank for PostgreSQL
    ],
)
def test_results(text: str, n: int | None) -> None:
    assert results(text) == n


def test_drizzle_kit_chunks_are_counted(tmp_path: Path) -> None:
    """Every chunk of the real dittofeed folder but one plain chunk of two statements is counted, and
    counted as the parser splits it."""
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    left = []
    for path in sorted(CORPUS.glob("*.sql")):
        for chunk in split_chunks(path.read_text()):
            n = results(chunk.text)
            if n is None:
                left.append(chunk.text)
            else:
                assert n == parser_count(chunk.text), chunk.text
    assert len(left) <= 2, left


def migrate(cli, folder: Path, url: str, *extra: str):
    return cli("migrate", "--migrations", str(folder), "--database-url", url, "--json", *extra)


def error_of(r) -> dict:
    assert r.returncode == 3, (r.stdout, r.stderr)
    return json.loads(r.stdout)["error"]


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


# (sql, line, column, sqlstate): errors without a position are located at their statement's start
CASES = {
    "first statement of a chunk, no position": (
        "-- a comment first\nCREATE TABLE kept (id int);\nCREATE TABLE b (id int);" + BP + "CREATE TABLE c (id int);",
        2,
        1,
        "42P07",
    ),
    "a middle statement of a chunk, a run-time error": (
        "CREATE TABLE a (id int);\nSELECT 1/0;\nCREATE TABLE b (id int);" + BP + "CREATE TABLE c (id int);",
        2,
        1,
        "22012",
    ),
    "middle statement of a chunk, no position": (
        "CREATE TABLE a (id int);" + BP + "CREATE TABLE b (id int);\n  CREATE TABLE a (id int);\nSELECT 1;",
        4,
        3,
        "42P07",
    ),
    "last statement of a chunk, no position": (
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCREATE TABLE a (id int);",
        3,
        1,
        "42P07",
    ),
    "last statement of a chunk, a position": (
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCREATE TABLE c (x nosuchtype);",
        3,
        19,
        "42704",
    ),
    "a DO block between statements": (
        "CREATE TABLE a (id int);\nDO $$\nBEGIN\n  PERFORM 1;\n  INSERT INTO missing VALUES (1);\nEND $$;\n"
        "CREATE TABLE b (id int);",
        5,
        15,
        "42P01",
    ),
    "behind counted and marked chunks": (
        "CREATE TABLE a (id int);"
        + BP
        + "CREATE TABLE b (id int); CREATE TABLE c (id int);"
        + BP
        + "DO $$ BEGIN PERFORM 1; END $$;"
        + BP
        + "-- a comment only"
        + BP
        + "CREATE TABLE a (id int);",
        9,
        1,
        "42P07",
    ),
}


@pytest.mark.pg
@pytest.mark.parametrize("case", list(CASES))
def test_the_failing_statement_of_a_chunk_is_located(cli, tmp_path: Path, pg_url: str, case: str) -> None:
    sql, line, column, sqlstate = CASES[case]
    folder = make_folder(tmp_path / "m", [("ok", "CREATE TABLE kept (id int);"), ("bad", sql)])
    err = error_of(migrate(cli, folder, pg_url))
    assert (err["file"].endswith("0001_bad.sql"), err["line"], err["column"], err["sqlstate"]) == (
        True,
        line,
        column,
        sqlstate,
    ), err
    assert tables(pg_url) == {"kept"}  # the failed migration left nothing


@pytest.mark.pg
def test_run_batch_counts_the_statements_done_in_the_failing_chunk(pg_url: str) -> None:
    chunks = split_chunks("SELECT 1;" + BP + "SELECT 2; SELECT 3; SELECT 1/0; SELECT 5;" + BP + "SELECT 6;")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        failed = run_batch(conn, chunks, head="BEGIN", tail="COMMIT")
        assert failed is not None and (failed.at, failed.done) == (1, 2)
        conn.execute("ROLLBACK")
        assert run_batch(conn, chunks[:1] + chunks[2:], head="BEGIN", tail="COMMIT") is None


@pytest.mark.pg
@pytest.mark.parametrize(
    "case",
    ["first chunk", "last chunk", "DO block", "after CONCURRENTLY", *CASES],
)
def test_errors_are_located_through_pgbouncer(
    cli,
    tmp_path: Path,
    pg_url: str,
    bouncer_url: str,  # noqa: F811
    case: str,
) -> None:
    """Transaction pooling: each migration in its own transaction under a transaction-scoped lock, the
    batch inside it; the error is located as on a direct session."""
    three = "CREATE TABLE a (id int);" + BP + "CREATE TABLE b (id int);" + BP
    extra: list[tuple[str, str]] = []
    if case == "first chunk":
        sql, line, column, sqlstate = "CREATE TABLE a (id integr);" + BP + "CREATE TABLE b (id int);", 1, 20, "42704"
    elif case == "last chunk":
        sql, line, column, sqlstate = three + "CREATE TABLE c (\n  id int,\n  name txet\n);", 7, 8, "42704"
    elif case == "DO block":
        sql = three + "DO $$\nBEGIN\n  PERFORM 1;\n  INSERT INTO missing VALUES (1);\nEND $$;"
        line, column, sqlstate = 8, 15, "42P01"
    elif case == "after CONCURRENTLY":
        extra = [("idx", "CREATE INDEX CONCURRENTLY kept_id ON kept (id);")]
        sql, line, column, sqlstate = three + "ALTER TABLE kept ADD COLUMN x nosuchtype;", 5, 31, "42704"
    else:
        sql, line, column, sqlstate = CASES[case]
    folder = make_folder(tmp_path / "m", [("ok", "CREATE TABLE kept (id int);"), *extra, ("bad", sql)])
    r = migrate(cli, folder, bouncer_url)
    assert "PgBouncer transaction pooling detected" in r.stderr, r.stderr
    err = error_of(r)
    assert (Path(err["file"]).name, err["line"], err["column"], err["sqlstate"]) == (
        f"{len(extra) + 1:04d}_bad.sql",
        line,
        column,
        sqlstate,
    ), err
    assert tables(pg_url) == {"kept"}
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()
        assert rows is not None and rows[0] == 1 + len(extra)


NON_TX_PIECES = [
    "CREATE INDEX CONCURRENTLY i ON t (id)",
    "VACUUM",
    "VACUUM t",
    "ALTER SYSTEM SET work_mem = '1MB'",
    "CREATE TABLE t (id int)",
    'CREATE TABLE "SubscriptionGroup" (id int)',
    "COMMENT ON TABLE t IS 'vacuum; database'",
    "DO $$ BEGIN PERFORM 1; END $$",
    "DO $x$ BEGIN EXECUTE 'VACUUM'; END $x$",
    "SELECT database_id",
    "-- vacuum\n",
    "; ",
    "\n",
    "$$",
    "'",
]


def test_a_plain_chunk_is_parsed_for_non_transactional_statements_only_when_a_keyword_is_bare() -> None:
    """The keyword check of a plain chunk (strings, identifiers, comments and dollar bodies blanked)
    never misses a statement the parser finds non-transactional."""
    from gtsd_tui.core.sql.plain import bare
    from gtsd_tui.core.sql.sqlinfo import SyntaxProblem, _has_non_tx_word, non_transactional_reason, parse

    rng = random.Random(27)
    skipped = 0
    for _ in range(3000):
        text = "".join(rng.choice(NON_TX_PIECES) for _ in range(rng.randint(1, 5)))
        parsed = parse(text)
        if bare(text) is None or isinstance(parsed, SyntaxProblem):
            continue
        found = any(non_transactional_reason(s.node) is not None for s in parsed)
        if found:
            assert _has_non_tx_word(text), text
        skipped += not _has_non_tx_word(text)
    assert skipped > 300  # the parse was saved often enough to be tested
    assert not _has_non_tx_word('CREATE TABLE "SubscriptionGroup" (id int); DO $$ BEGIN PERFORM 1; END $$;')


@pytest.mark.pg
def test_the_dittofeed_folder_is_applied_without_pglast(pg_url: str) -> None:
    """Its DO blocks (enum and constraint guards) are plain shapes, and the names holding a word of a
    non-transactional statement ("SubscriptionGroup") are quoted: on an empty database nothing loads the
    parser, and every migration is applied with drizzle-orm's rows."""
    from tests.test_apply_fastpath import migrate_loads

    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    assert migrate_loads(CORPUS, pg_url) == "False False False"
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()
        assert row is not None and row[0] == len(list(CORPUS.glob("*.sql")))
