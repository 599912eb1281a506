"""What ``migrate`` skips on its way to the server, and why each skip changes no result.

- ``db/batch.complete`` answers without pglast when a chunk is plain (strings, quoted identifiers and
  line comments that all close); its answer is the scanner's on every shape tried.
- The data preflight leaves out the statements no check looks at (told by their first keywords), and
  parses nothing when no statement can be checked: the checks are those of a full parse.
- The pooler probe knows a direct session by its socket's endpoints (one connection, one query); through
  a real PgBouncer it does not, and the full probe runs.
- A drizzle-kit 0.31 project applied to an empty database loads no pglast (no statement can meet a row).
"""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.data.data_rules import derive
from gtsd_tui.core.data.data_schema import IGNORED, RECORDED, Statement, lead_kind, may_check, statements
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.core.migrations.hashing import Chunk
from gtsd_tui.core.migrations.plan import step_for
from gtsd_tui.core.sql.stmt_split import statement_chunks
from gtsd_tui.db.batch import _PLAIN, complete
from gtsd_tui.db.pooler import direct_session, transaction_pooling
from tests.helpers.folders import make_folder
from tests.test_pgbouncer import bouncer_url  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path("/work/shared/corpus/dittofeed/drizzle")
PIECES = ["(", "=", ",", "'", '"', "''", '""', "--", "-", "\n", "a", " ", "/*", "*/", "/", "*", "$$", "$x$", "\\", "E'"]
PIECES += [";", "é"]


def scanner_complete(text: str) -> bool:
    from pglast.parser import scan

    try:
        scan(text)
    except Exception:
        return False
    return True


def test_complete_agrees_with_the_scanner_on_random_shapes() -> None:
    rng = random.Random(27)
    plain = 0
    for _ in range(6000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        assert complete(text) is scanner_complete(text), repr(text)
        plain += _PLAIN.fullmatch(text) is not None
    assert plain > 500  # the fast path was taken often enough to be tested


@pytest.mark.parametrize(
    ("text", "fast"),
    [
        ('CREATE TABLE "t" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"v" text DEFAULT \'a\'\'b\'\n);', True),
        ('CREATE INDEX "i" ON "t" USING btree ("v");', True),
        ("SELECT 1; -- it's a comment", True),
        ("SELECT 'a' - 1 / 2", True),
        ("SELECT 'abc", False),  # unterminated: the scanner says so
        ('SELECT "a""', False),
        ("SELECT E'\\''", False),  # a backslash: only the scanner knows E'' strings
        ("DO $$ BEGIN END $$", True),  # a dollar quote after a blank: its body is opaque
        ("SELECT a$$b$$", False),  # a $ that may be part of a name goes to the scanner
        ("SELECT 1 /* c */", False),
    ],
)
def test_the_fast_path_takes_only_plain_shapes(text: str, fast: bool) -> None:
    assert (_PLAIN.fullmatch(text) is not None) is fast
    assert complete(text) is scanner_complete(text)


IGNORED_NODES = {
    "IndexStmt",
    "CreateSeqStmt",
    "CreateSchemaStmt",
    "CreateExtensionStmt",
    "CreateFunctionStmt",
    "ViewStmt",
    "CreateTrigStmt",
    "CreatePolicyStmt",
    "CommentStmt",
    "DoStmt",
    "GrantStmt",
    "GrantRoleStmt",
}
RECORDED_NODES = {"CreateStmt", "CreateTableAsStmt", "CreateEnumStmt", "CompositeTypeStmt", "DefineStmt"}
RECORDED_NODES |= {"CreateRangeStmt", "InsertStmt", "UpdateStmt", "DeleteStmt"}
SHAPES = [
    'CREATE INDEX IF NOT EXISTS "i" ON "t" USING btree ("v");',
    "create index concurrently i on t (v)",
    "-- a note\nCREATE INDEX i ON t (v);",
    'CREATE UNIQUE INDEX "u" ON "t" ("v");',  # not ignored: a unique index is checked
    "CREATE /* x */ INDEX i ON t (v);",  # a comment between keywords: parsed
    "CREATE SEQUENCE s;",
    "CREATE SCHEMA s CREATE TABLE t (id int)",
    'CREATE EXTENSION IF NOT EXISTS "pgcrypto";',
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'",
    "CREATE VIEW v AS SELECT 1",
    "COMMENT ON TABLE t IS 'x';",
    "DO $$ BEGIN CREATE TYPE e AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN null; END $$;",
    "GRANT SELECT ON t TO public;",
    "REVOKE SELECT ON t FROM public;",
    "CREATE TABLE t (id int);",
    "CREATE TABLE t AS SELECT 1 AS a;",
    "CREATE TYPE e AS ENUM ('a', 'b');",
    "CREATE TYPE c AS (a int);",
    "INSERT INTO t VALUES (1);",
    "UPDATE t SET a = 1;",
    "DELETE FROM t;",
    "ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES u (id);",
    "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
    "CREATE TEMP TABLE t (id int);",
    "TRUNCATE t;",
    "DROP TABLE t;",
]


def corpus_texts() -> list[str]:
    out = list(SHAPES)
    for folder in (CORPUS, ROOT / "migrations"):
        if folder.is_dir():
            f = load_folder(folder)
            out += [c.text for m in f.migrations for c in step_for(f, m, "per-file").chunks]
    return out


def test_lead_kind_names_the_statement_the_parser_finds() -> None:
    import pglast

    told = 0
    for text in corpus_texts():
        kind = lead_kind(text)
        if kind is None or kind == ():
            continue
        (raw,) = pglast.parse_sql(text)
        node = type(raw.stmt).__name__
        if kind in IGNORED:
            assert node in IGNORED_NODES, (text, node)
        else:
            assert kind in RECORDED and node in RECORDED_NODES, (text, node)
        told += 1
    assert told >= 20


def every_statement(folder_path: Path) -> list[Statement]:
    """The preflight's statements before any was left out: every one parsed."""
    import pglast

    from gtsd_tui.core.data.data_checks import Place
    from gtsd_tui.core.migrations.hashing import line_col
    from gtsd_tui.core.sql.stmt_split import display_text

    folder = load_folder(folder_path)
    out = []
    for m in folder.migrations:
        step = step_for(folder, m, "per-file")
        for chunk in step.chunks:
            for stmt in statement_chunks(chunk):
                try:
                    raw = pglast.parse_sql(stmt.text)
                except pglast.parser.ParseError:
                    continue
                if len(raw) == 1:
                    start, text = display_text(stmt.text)
                    line, col = line_col(step.text, stmt.offset + start)
                    place = Place(m.tag, str(folder.path / (m.file or m.tag)), line, col, " ".join(text.split()))
                    out.append(Statement(place, raw[0].stmt))
    return out


def folders(tmp_path: Path) -> list[Path]:
    made = make_folder(
        tmp_path / "m",
        [
            (
                "a",
                'CREATE TABLE "u" ("id" serial PRIMARY KEY, "e" text);\n--> statement-breakpoint\n'
                'CREATE INDEX "u_e" ON "u" ("e");',
            ),
            (
                "b",
                'ALTER TABLE "users" ADD CONSTRAINT "x" UNIQUE ("email");\n--> statement-breakpoint\n'
                'CREATE INDEX "i" ON "users" ("email");\n--> statement-breakpoint\n'
                'UPDATE "users" SET "email" = \'a\';\n--> statement-breakpoint\n'
                'CREATE UNIQUE INDEX "j" ON "users" ("email");',
            ),
        ],
    )
    return [p for p in (CORPUS, ROOT / "migrations", made) if p.is_dir()]


def test_the_checks_are_those_of_a_full_parse(tmp_path: Path) -> None:
    for path in folders(tmp_path):
        folder = load_folder(path)
        steps = [step_for(folder, m, "per-file") for m in folder.migrations]
        kept = statements(steps, folder.path)
        assert derive(kept) == derive(every_statement(path)), path
        assert derive(kept)  # each of these folders has checks to compare


def test_a_plan_without_checkable_statements_parses_nothing(tmp_path: Path) -> None:
    path = make_folder(
        tmp_path / "m",
        [
            (
                "a",
                'CREATE TABLE "u" ("id" serial PRIMARY KEY);\n--> statement-breakpoint\n'
                'CREATE INDEX "i" ON "u" ("id");',
            )
        ],
    )
    folder = load_folder(path)
    steps = [step_for(folder, m, "per-file") for m in folder.migrations]
    assert statements(steps, folder.path) == []
    assert not may_check(steps)
    altered = [Chunk(0, 'ALTER TABLE "u" ADD COLUMN "x" int;', 0, 1)]
    steps[0] = replace(steps[0], chunks=altered)
    assert may_check(steps) and len(statements(steps, folder.path)) == 1


@pytest.mark.pg
def test_a_direct_session_is_told_by_its_socket(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        assert direct_session(conn)
    assert transaction_pooling(pg_url) is False


@pytest.mark.pg
def test_through_pgbouncer_the_session_is_not_direct(bouncer_url: str) -> None:  # noqa: F811
    with psycopg.connect(bouncer_url, prepare_threshold=None) as conn:
        assert not direct_session(conn)
    assert transaction_pooling(bouncer_url) is True


NO_PGLAST = """
import sys
from gtsd_tui.cli import main
code = main(sys.argv[1:])
print("pglast" in sys.modules, "textual" in sys.modules, "pygments" in sys.modules)
sys.exit(code)
"""


USERS_TS = (
    'import { pgTable, serial, text, index, integer } from "drizzle-orm/pg-core";\n'
    'export const users = pgTable("users", { id: serial("id").primaryKey(), email: text("email").notNull(),\n'
    '  note: text("note").default("it\'s") }, (t) => [index("users_email_idx").on(t.email)]);\n'
)
TEAMS_TS = (
    'export const teams = pgTable("teams", { id: serial("id").primaryKey(), size: integer("size"),\n'
    '  ownerId: integer("owner_id").references(() => users.id) }, (t) => [index("teams_size_idx").on(t.size)]);\n'
)


def migrate_loads(folder: Path, url: str) -> str:
    r = subprocess.run(
        [sys.executable, "-c", NO_PGLAST, "migrate", "--migrations", str(folder), "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


@pytest.mark.pg
@pytest.mark.node
def test_a_drizzle_kit_project_on_an_empty_database_is_applied_without_pglast(tmp_path: Path, pg_url: str) -> None:
    """Tables, indexes and a foreign key (drizzle-kit 0.31's ALTER TABLE ... ADD CONSTRAINT): on a
    database with no table no statement can meet a row, so the data preflight has nothing to parse; with
    one table there (any), it runs and loads the parser."""
    from tests.helpers.kit_project import base_project

    project = base_project(tmp_path, {"users.ts": USERS_TS})
    project.step({"users.ts": USERS_TS + TEAMS_TS}, "teams")
    folder = project.folder
    assert "FOREIGN KEY" in "".join(p.read_text() for p in folder.glob("*.sql"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE unrelated (id int)")
    assert migrate_loads(folder, pg_url) == "True False False"  # the preflight parsed the ALTER TABLE
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; DROP SCHEMA drizzle CASCADE; CREATE SCHEMA public")
    assert migrate_loads(folder, pg_url) == "False False False"
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0] == 2
        assert conn.execute("SELECT to_regclass('public.teams') IS NOT NULL").fetchone()[0]


@pytest.mark.pg
def test_an_apply_on_a_direct_server_opens_one_session(tmp_path: Path, pg_url: str, monkeypatch) -> None:
    """The pooler check, the rows read before the lock and the run share one session; the preflight
    opens none when every check is answered by the plan itself (foreign keys of tables it creates)."""
    from gtsd_tui.config import load_settings
    from gtsd_tui.core.migrations.modes import TxMode
    from gtsd_tui.services import apply as svc
    from gtsd_tui.services.project import Project

    folder = make_folder(
        tmp_path / "m",
        [
            ("a", 'CREATE TABLE "a" ("id" serial PRIMARY KEY);'),
            (
                "b",
                'CREATE TABLE "b" ("id" serial PRIMARY KEY, "a_id" integer);\n--> statement-breakpoint\n'
                'ALTER TABLE "b" ADD CONSTRAINT "b_a_fk" FOREIGN KEY ("a_id") REFERENCES "a"("id");',
            ),
        ],
    )
    opened: list[str] = []
    real = psycopg.connect

    def counting(conninfo: str = "", **kwargs):
        opened.append(conninfo)
        return real(conninfo, **kwargs)

    monkeypatch.setattr(psycopg, "connect", counting)  # every session of gtsd-tui opens through it
    project = Project(load_settings(cwd=tmp_path, database_url=pg_url, migrations=str(folder), environ={}))
    for mode in (TxMode.PER_FILE, TxMode.ALL):
        opened.clear()
        request = svc.ApplyRequest(tx_mode=mode, preflight_timeout=5.0)
        result = svc.apply(project, request)
        assert len(opened) == 1, opened
        if mode is TxMode.PER_FILE:
            assert result.applied_tags == ["0000_a", "0001_b"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0] == 2
