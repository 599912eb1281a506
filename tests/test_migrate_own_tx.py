"""A migration's own ``BEGIN; ... COMMIT;``: what ``migrate`` leaves equals what drizzle-orm's migrator leaves.

drizzle-orm (0.45, postgres-js) runs every pending migration inside one ``begin`` ... ``commit``, each
chunk sent alone over the simple query protocol. A migration's own ``COMMIT`` ends that transaction:
each later chunk then runs on its own (autocommit, a chunk of several statements in the implicit
transaction of its one query), up to drizzle's ``commit``, which only warns. Each case below runs the
real migrator on one database and ``gtsd-tui migrate`` on its twin, and compares the tables, their rows
and the tracking rows (and the exit code: drizzle's 1 is our 3).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.sql.txcontrol import ends_transaction
from tests.helpers.kit_project import KitProject, base_project, catalog
from tests.helpers.node import drizzle_migrate
from tests.helpers.node_v1 import check_v1, generate_v1, v1_migrate, v1_rows
from tests.test_pgbouncer import bouncer_url  # noqa: F401 - the fixture

pytestmark = [pytest.mark.pg, pytest.mark.node]

USERS = """import { pgTable, serial, text } from "drizzle-orm/pg-core";

export const users = pgTable("users", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
});
"""

BP = "--> statement-breakpoint\n"
CORPUS = Path("/work/shared/corpus/dittofeed/drizzle")


def _twin(pg_server: str, pg_url: str, suffix: str) -> str:
    name = pg_url.rsplit("/", 1)[1] + suffix  # dropped with the test's database (conftest drops name%)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url.rsplit("/", 1)[0] + "/" + name


def state(url: str) -> dict[str, object]:
    """The public tables with their row counts, and the tracking rows (hash, created_at)."""
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        counts = {n: conn.execute(f'SELECT count(*) FROM public."{n}"').fetchone()[0] for n in names}  # type: ignore[index]
        tracked = conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL").fetchone()[0]  # type: ignore[index]
        rows = (
            conn.execute("SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id").fetchall()
            if tracked
            else []
        )
    return {"tables": counts, "rows": rows}


def project(tmp_path: Path, customs: list[tuple[str, str]]) -> KitProject:
    """A drizzle-kit 0.31 project: ``users`` from the TypeScript schema, then hand-written migrations
    made with ``drizzle-kit generate --custom`` (as users write them)."""
    p = base_project(tmp_path, {"users.ts": USERS})
    add_customs(p, customs)
    return p


def add_customs(p: KitProject, customs: list[tuple[str, str]]) -> None:
    """Hand-written migrations, each made with ``drizzle-kit generate --custom`` then filled in."""
    for name, text in customs:
        r = p.kit("generate", "--custom", "--name", name)
        assert r.returncode == 0, r.stdout + r.stderr
        (path,) = p.folder.glob(f"*_{name}.sql")
        path.write_text(text)
    assert p.kit("check").returncode == 0


def compare(cli, p: KitProject, pg_server: str, pg_url: str, *extra: str) -> tuple[dict[str, object], object]:
    """drizzle-orm on a twin database, ``migrate`` on the test's: both states, ours asserted equal."""
    twin = _twin(pg_server, pg_url, "_drizzle")
    d = drizzle_migrate(twin, p.folder)
    theirs = state(twin)
    r = cli("migrate", "--migrations", str(p.folder), "--database-url", pg_url, *extra)
    ours = state(pg_url)
    assert ours == theirs, (extra, r.stdout, r.stderr, d.stderr)
    assert (r.returncode, d.returncode) in ((0, 0), (3, 1)), (r.returncode, d.returncode, r.stderr, d.stderr)
    return theirs, r


def _own_tx(after: str) -> str:
    """``t1``, then ``BEGIN; t2; COMMIT;``, each its own chunk (as hand-written ones are), then ``after``."""
    return BP.join(["CREATE TABLE t1 (id int);\n", "BEGIN;\n", "CREATE TABLE t2 (id int);\n", "COMMIT;\n", after])


# After its own COMMIT: a table and a row, then a failing statement, each its own chunk.
FAILS_AFTER = _own_tx(
    "CREATE TABLE t3 (id int);\n" + BP + "INSERT INTO t3 VALUES (1);\n" + BP + "INSERT INTO t1 SELECT 1 / 0;\n"
)
OK_AFTER = _own_tx("CREATE TABLE t3 (id int);\n" + BP + "INSERT INTO t3 VALUES (1);\n")
# The same statements in the COMMIT's own chunk: drizzle-orm sends that chunk as one query, so they
# share its implicit transaction there too, and the error takes the table with it.
FAILS_IN_CHUNK = (
    "CREATE TABLE t1 (id int);\n" + BP + "BEGIN;\nCREATE TABLE t2 (id int);\nCOMMIT;\n"
    "CREATE TABLE t3 (id int);\nINSERT INTO t1 SELECT 1 / 0;\n"
)
LATER_FAILS = (
    "CREATE TABLE t4 (id int);\n" + BP + "INSERT INTO t4 VALUES (1);\n" + BP + "INSERT INTO t4 SELECT 1 / 0;\n"
)


@pytest.mark.parametrize("tx", ["per-file", "all"])
def test_statements_after_its_own_commit_stay_when_a_later_one_fails(
    cli, tmp_path: Path, pg_server: str, pg_url: str, tx: str
) -> None:
    p = project(tmp_path, [("own_tx", FAILS_AFTER)])
    theirs, r = compare(cli, p, pg_server, pg_url, "--tx", tx)
    assert theirs["tables"] == {"users": 0, "t1": 0, "t2": 0, "t3": 1}  # drizzle-orm's, measured
    assert len(theirs["rows"]) == 1  # init's row, made durable by the migration's COMMIT
    assert "0001_own_tx.sql:13:1: 22012: division by zero" in r.stderr, r.stderr


@pytest.mark.parametrize("tx", ["per-file", "all"])
def test_statements_after_its_own_commit_applied_with_its_row(
    cli, tmp_path: Path, pg_server: str, pg_url: str, tx: str
) -> None:
    p = project(tmp_path, [("own_tx", OK_AFTER)])
    theirs, r = compare(cli, p, pg_server, pg_url, "--tx", tx)
    assert theirs["tables"] == {"users": 0, "t1": 0, "t2": 0, "t3": 1} and len(theirs["rows"]) == 2


@pytest.mark.parametrize("tx", ["per-file", "all"])
def test_a_chunk_of_commit_and_more_fails_as_one_query(
    cli, tmp_path: Path, pg_server: str, pg_url: str, tx: str
) -> None:
    p = project(tmp_path, [("own_tx", FAILS_IN_CHUNK)])
    theirs, _ = compare(cli, p, pg_server, pg_url, "--tx", tx)
    assert theirs["tables"] == {"users": 0, "t1": 0, "t2": 0}  # t3 went with the chunk's query


def test_tx_all_after_a_commit_later_migrations_run_statement_by_statement(
    cli, tmp_path: Path, pg_server: str, pg_url: str
) -> None:
    """Under ``--tx all`` the one transaction ends at the migration's COMMIT; drizzle-orm then runs the
    next migration's statements each on its own: a failure keeps the ones before it, and the earlier
    migrations' rows. ``migrate`` says they are applied, and rolls back nothing."""
    p = project(tmp_path, [("own_tx", OK_AFTER), ("later", LATER_FAILS)])
    theirs, r = compare(cli, p, pg_server, pg_url, "--tx", "all")
    assert theirs["tables"] == {"users": 0, "t1": 0, "t2": 0, "t3": 1, "t4": 1}
    assert len(theirs["rows"]) == 2
    assert [line.split()[1] for line in r.stdout.splitlines() if line.startswith("✓")] == ["0000_init", "0001_own_tx"]
    assert "0002_later.sql:5:1: 22012" in r.stderr and "rolled back" not in r.stderr, r.stderr


def test_tx_all_without_a_commit_still_rolls_everything_back(cli, tmp_path: Path, pg_server: str, pg_url: str) -> None:
    p = project(tmp_path, [("plain", "CREATE TABLE t1 (id int);\n"), ("later", LATER_FAILS)])
    theirs, r = compare(cli, p, pg_server, pg_url, "--tx", "all")
    assert theirs == {"tables": {}, "rows": []}
    assert "rolled back: 0000_init, 0001_plain" in r.stderr and "✓" not in r.stdout, (r.stdout, r.stderr)


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("COMMIT;", True),
        ("-- done\ncommit work;", True),
        ("CREATE TABLE a (id int);\nEND;", True),
        ("ROLLBACK;", True),
        ("abort transaction", True),
        ("PREPARE TRANSACTION 'x';", True),
        ("COMMIT AND NO CHAIN;", True),
        ("COMMIT AND CHAIN;", False),  # the next transaction starts at once: the query's block goes on
        ("ROLLBACK TO SAVEPOINT s;", False),
        ("BEGIN;", False),
        ('CREATE TABLE "commit" (id int);', False),
        ("INSERT INTO notes VALUES ('COMMIT; END;');", False),
        ("DO $$ BEGIN CREATE TYPE s AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN null; END $$;", False),
        ("SELECT CASE WHEN true THEN 1 END;", False),
    ],
)
def test_ends_transaction(text: str, ends: bool) -> None:
    assert ends_transaction(text) is ends


def v1_project(tmp_path: Path, customs: list[tuple[str, str]]) -> Path:
    """A Drizzle 1.0 project (drizzle-kit 1.0.0-rc.5): ``users`` generated, then ``generate --custom`` ones."""
    root = tmp_path / "v1"
    root.mkdir()
    (root / "schema.ts").write_text(USERS)
    generate_v1(root, "init")
    for name, text in customs:
        (generate_v1(root, name, custom=True) / "migration.sql").write_text(text)
    assert check_v1(root).returncode == 0
    return root / "drizzle"


def compare_v1(cli, folder: Path, pg_server: str, pg_url: str, *extra: str) -> tuple[dict[str, object], object]:
    """drizzle-orm 1.0.0-rc.5 on a twin database, ``migrate`` on the test's (tracking rows with names)."""
    twin = _twin(pg_server, pg_url, "_drizzle")
    d = v1_migrate(twin, folder)
    theirs = {**state(twin), "names": [r["name"] for r in v1_rows(twin)]}
    r = cli("migrate", "--migrations", str(folder), "--database-url", pg_url, *extra)
    ours = {**state(pg_url), "names": [r["name"] for r in v1_rows(pg_url)]}
    assert ours == theirs, (extra, r.stdout, r.stderr, d.stderr)
    assert (r.returncode, d.returncode) in ((0, 0), (3, 1)), (r.returncode, d.returncode, r.stderr, d.stderr)
    return theirs, r


@pytest.mark.parametrize("tx", ["per-file", "all"])
def test_v1_statements_after_its_own_commit_stay_when_a_later_one_fails(
    cli, tmp_path: Path, pg_server: str, pg_url: str, tx: str
) -> None:
    folder = v1_project(tmp_path, [("own_tx", FAILS_AFTER)])
    theirs, r = compare_v1(cli, folder, pg_server, pg_url, "--tx", tx)
    assert theirs["tables"] == {"users": 0, "t1": 0, "t2": 0, "t3": 1}  # drizzle-orm 1.0's, measured
    assert len(theirs["rows"]) == 1
    assert "migration.sql:13:1: 22012: division by zero" in r.stderr, r.stderr


def test_v1_tx_all_after_a_commit_later_migrations_run_statement_by_statement(
    cli, tmp_path: Path, pg_server: str, pg_url: str
) -> None:
    folder = v1_project(tmp_path, [("own_tx", OK_AFTER), ("later", LATER_FAILS)])
    theirs, _ = compare_v1(cli, folder, pg_server, pg_url, "--tx", "all")
    assert theirs["tables"] == {"users": 0, "t1": 0, "t2": 0, "t3": 1, "t4": 1}
    assert len(theirs["rows"]) == 2


@pytest.mark.parametrize("tx", ["per-file", "all"])
def test_dittofeed_folder_as_drizzle_orm_leaves_it(cli, pg_server: str, pg_url: str, tx: str) -> None:
    """The real dittofeed folder (``0002`` is ``BEGIN; ... COMMIT;``, eight migrations after it): the same
    catalog and tracking rows as drizzle-orm's migrator on a twin database."""
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    twin = _twin(pg_server, pg_url, "_drizzle")
    d = drizzle_migrate(twin, CORPUS)
    assert d.returncode == 0, d.stderr
    r = cli("migrate", "--migrations", str(CORPUS), "--database-url", pg_url, "--tx", tx)
    assert r.returncode == 0, r.stderr
    assert catalog(pg_url) == catalog(twin)
    assert state(pg_url) == state(twin)


def test_no_retry_after_its_own_commit_ran(cli, tmp_path: Path, pg_url: str) -> None:
    """``--retries`` runs a migration again after a lock timeout; once its own COMMIT ran, what came
    before it is committed and would run twice: the lock timeout is reported where it happened, exit 3,
    and the committed part stays (as drizzle-orm would leave it)."""
    own = BP.join(
        ["BEGIN;\n", "CREATE TABLE t1 (id int);\n", "COMMIT;\n", 'ALTER TABLE "users" ADD COLUMN "x" integer;\n']
    )
    p = project(tmp_path, [("own_tx", own)])
    args = ("migrate", "--migrations", str(p.folder), "--database-url", pg_url)
    assert cli(*args, "--to", "0000_init").returncode == 0
    idle = psycopg.connect(pg_url)
    try:
        idle.execute("SELECT * FROM users").fetchall()  # idle in transaction, holding ACCESS SHARE on users
        r = cli(*args, "--lock-timeout", "200ms", "--retries", "2")
    finally:
        idle.close()
    assert r.returncode == 3, r.stderr
    assert "0001_own_tx.sql:7:1: 55P03" in r.stderr and "rolled back, retry" not in r.stderr, r.stderr
    assert state(pg_url)["tables"] == {"users": 0, "t1": 0} and len(state(pg_url)["rows"]) == 1  # type: ignore[arg-type]


@pytest.mark.parametrize("via", ["pgbouncer", "--pgbouncer yes", "direct"])
def test_a_transaction_pooler_is_told_the_lock_ends_with_the_migrations_own_commit(
    cli, tmp_path: Path, pg_url: str, request: pytest.FixtureRequest, via: str
) -> None:
    """Through PgBouncer in transaction pooling (detected) or with ``--pgbouncer yes``, the migration lock
    is transaction-scoped: a migration with its own COMMIT ends it. ``migrate`` says so, naming the file,
    before the first statement; through a direct connection (a session lock) it says nothing. drizzle-kit's
    own ``init`` (no COMMIT) is never named."""
    p = project(tmp_path, [("own_tx", OK_AFTER)])
    url = request.getfixturevalue("bouncer_url") if via == "pgbouncer" else pg_url
    extra = ["--pgbouncer", "yes"] if via == "--pgbouncer yes" else []
    r = cli("migrate", "--migrations", str(p.folder), "--database-url", url, *extra)
    assert r.returncode == 0, r.stderr
    said = [ln for ln in r.stderr.splitlines() if "ends its own transaction" in ln]
    if via == "direct":
        assert said == [], r.stderr
    else:
        assert len(said) == 1 and said[0].startswith("0001_own_tx.sql: ends its own transaction: "), r.stderr
        assert "migration lock (transaction-scoped) ends with it" in said[0]
    assert state(pg_url)["tables"] == {"users": 0, "t1": 0, "t2": 0, "t3": 1}
