"""Each rehearsed statement reports the locks it took itself, under ``--tx per-file`` and ``--tx all``.

Under ``--tx all`` every migration runs in one transaction (as drizzle-orm 0.x runs them): the locks of
the earlier migrations, and of their tracking rows, stay held to the one ``COMMIT``. A later statement
that finds them held did not take them; one that takes a stronger mode on the same relation did.

What PostgreSQL really takes is measured beside the rehearsal, on copies of the target made the same
way: each statement alone in its own transaction (its locks), and each statement in the transactions
the mode makes (the locks already held before it). A statement's locks are the first minus the second.
The projects are drizzle-kit 0.31's (a TypeScript schema and ``drizzle-kit generate``; the hand-written
statements in ``drizzle-kit generate --custom`` files)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from gtsd_tui.core.migrations.modes import TxMode
from gtsd_tui.services import rehearse as svc
from gtsd_tui.services.apply import ApplyRequest
from tests.test_rehearse import gone, leftovers
from tests.test_rehearse_batch import IMPORTS, TASKS, USERS
from tests.test_rehearse_overlap import project_of

pytestmark = [pytest.mark.pg, pytest.mark.node]

TEAMS = (
    'export const teams = pgTable("teams", { id: serial("id").primaryKey(), name: text("name"),\n'
    '  ownerId: integer("owner_id").references(() => users.id) });\n'
)
TEAMS_INDEXED = (
    'export const teams = pgTable("teams", { id: serial("id").primaryKey(), name: text("name"),\n'
    '  ownerId: integer("owner_id").references(() => users.id) }, (t) => [index("teams_name_idx").on(t.name)]);\n'
)
TASKS_NOTE = (
    'export const tasks = pgTable("tasks", { id: serial("id").primaryKey(), n: integer("n").notNull(),\n'
    '  userId: integer("user_id").references(() => users.id), note: text("note") });\n'
)
KIT_IMPORTS = IMPORTS.replace("bigint, ", "")

# Relation locks of this backend on relations outside the system schemas that existed before (``$1``:
# their oids), as the rehearsal's probe reads them.
LOCKS = (
    "SELECT l.mode, quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_locks l "
    "JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND c.oid = ANY(%s) "
    "AND n.nspname NOT LIKE 'pg\\_%%'"
)

Locks = frozenset[tuple[str, str]]


def pending_project(cli: Any, tmp_path: Path, url: str, steps: list[tuple[str, str | list[str]]]) -> Path:
    """users and tasks applied (with rows); then pending, one migration per step: a TypeScript schema
    given to ``drizzle-kit generate``, or statements written into a ``generate --custom`` file."""
    from tests.helpers.kit_project import base_project

    project = base_project(tmp_path, {"schema.ts": KIT_IMPORTS + USERS + TASKS})
    r = cli("migrate", "--migrations", str(project.folder), "--database-url", url)
    assert r.returncode == 0, r.stderr
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 300) g")
        conn.execute("INSERT INTO tasks (n, user_id) SELECT g, g FROM generate_series(1, 300) g")
    for name, change in steps:
        if isinstance(change, str):
            project.step({"schema.ts": change}, name)
            continue
        r = project.kit("generate", "--custom", "--name", name)
        assert r.returncode == 0, r.stdout + r.stderr
        (written,) = project.folder.glob(f"*_{name}.sql")
        written.write_text(written.read_text().rstrip("\n") + "\n" + "\n--> statement-breakpoint\n".join(change) + "\n")
        project.commit(name)
    gone(url)
    return project.folder


def rehearsed(folder: Path, url: str, mode: TxMode, monkeypatch: pytest.MonkeyPatch, *, batched: bool) -> svc.Rehearsal:
    with monkeypatch.context() as m:
        if not batched:  # the observer declines the batch: statement by statement
            m.setattr(svc.Recorder, "batch_probes", lambda *_: None)
        r = svc.rehearse(project_of(folder, url), ApplyRequest(tx_mode=mode))
    assert leftovers(url) == []
    gone(url)
    assert r.ok, r.failure
    return r


@contextmanager
def _copy(url: str, suffix: str) -> Iterator[psycopg.Connection[Any]]:
    """A session on a template copy of ``url``'s database, dropped afterwards."""
    from tests.conftest import _url_with_db

    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    copy = sql.Identifier(name + suffix)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(copy, sql.Identifier(name)))
    try:
        with psycopg.connect(_url_with_db(url, name + suffix), autocommit=True) as session:
            yield session
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(copy))


def _existing(conn: psycopg.Connection[Any]) -> list[int]:
    return [int(o) for (o,) in conn.execute("SELECT oid FROM pg_class WHERE oid >= 16384")]


def _held(conn: psycopg.Connection[Any], oids: list[int]) -> Locks:
    return frozenset((str(m), str(r)) for m, r in conn.execute(LOCKS, (oids,)))


def taken_alone(url: str, groups: list[list[str]]) -> list[Locks]:
    """Each statement alone in its own transaction (the ones before it committed): the locks it holds."""
    out: list[Locks] = []
    with _copy(url, "_alone") as conn:
        for text in (t for g in groups for t in g):
            oids = _existing(conn)
            conn.execute("BEGIN")
            conn.execute(text)
            out.append(_held(conn, oids))
            conn.execute("COMMIT")
    return out


def held_before(url: str, groups: list[list[str]], mode: TxMode) -> list[Locks]:
    """The migrations run in ``mode``'s transactions (each migration in its own, or all in one): the
    locks held just before each statement."""
    out: list[Locks] = []
    with _copy(url, "_" + mode.value.replace("-", "_")) as conn:
        conn.execute("BEGIN")
        for i, group in enumerate(groups):
            if mode == TxMode.PER_FILE and i:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
            for text in group:
                out.append(_held(conn, _existing(conn)))
                conn.execute(text)
        conn.execute("COMMIT")
    return out


def groups_of(r: svc.Rehearsal) -> list[list[str]]:
    out: dict[str, list[str]] = {}
    for s in r.records:
        out.setdefault(s.tag, []).append(s.text)
    return list(out.values())


def check_against_postgres(r: svc.Rehearsal, url: str, mode: TxMode) -> None:
    groups = groups_of(r)
    alone, before = taken_alone(url, groups), held_before(url, groups, mode)
    assert len(alone) == len(r.records) == len(before)
    for rec, took, held in zip(r.records, alone, before, strict=True):
        assert set(rec.locks) == took - held, (mode, rec.tag, rec.text, sorted(rec.locks), sorted(took), sorted(held))
        assert rec.observed


KIT_STEPS: list[tuple[str, str | list[str]]] = [
    ("teams", KIT_IMPORTS + USERS + TASKS + TEAMS),  # create table A (its foreign key locks users)
    ("task_note", KIT_IMPORTS + USERS + TASKS_NOTE + TEAMS),  # alter table B add column
    ("teams_name", KIT_IMPORTS + USERS + TASKS_NOTE + TEAMS_INDEXED),  # create index on A
]


def test_each_statement_reports_the_locks_it_took_in_either_mode(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = pending_project(cli, tmp_path, pg_url, KIT_STEPS)
    all_tx = rehearsed(folder, pg_url, TxMode.ALL, monkeypatch, batched=False)
    per_file = rehearsed(folder, pg_url, TxMode.PER_FILE, monkeypatch, batched=True)
    alone = rehearsed(folder, pg_url, TxMode.PER_FILE, monkeypatch, batched=False)
    assert len({s.tag for s in all_tx.records}) == 3
    check_against_postgres(all_tx, pg_url, TxMode.ALL)
    check_against_postgres(per_file, pg_url, TxMode.PER_FILE)
    assert [(s.text, s.locks, s.already_held) for s in alone.records] == [
        (s.text, s.locks, s.already_held) for s in per_file.records
    ]
    assert not any("__drizzle_migrations" in rel for s in all_tx.records for _, rel in s.locks)
    added = next(s for s in all_tx.records if '"note"' in s.text)  # no lock of the file before it
    assert added.locks == [("AccessExclusiveLock", "public.tasks")] and added.already_held == []
    # The index's SHARE on teams: under --tx all held since CREATE TABLE built its primary key, two files back
    indexed = [s for r in (all_tx, per_file) for s in r.records if "teams_name_idx" in s.text]
    assert [s.locks for s in indexed] == [[], [("ShareLock", "public.teams")]]
    assert ("ShareLock", "public.teams") in indexed[0].already_held and indexed[1].already_held == []
    # the other statements find nothing of an earlier file held: the same locks in both modes
    assert [s.locks for s in all_tx.records if "teams_name_idx" not in s.text] == [
        s.locks for s in per_file.records if s not in indexed
    ]


COUNT = 'SELECT count(*) FROM "users";'
UPGRADE_STEPS: list[tuple[str, str | list[str]]] = [
    ("read_users", [COUNT]),  # ACCESS SHARE on users
    ("alter_users", ['ALTER TABLE "users" ADD COLUMN "flag" boolean;']),  # then ACCESS EXCLUSIVE on it
    ("read_again", [COUNT]),  # ACCESS SHARE again: under --tx all, already held
]


def test_a_stronger_lock_on_a_table_an_earlier_migration_locked_is_reported(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = pending_project(cli, tmp_path, pg_url, UPGRADE_STEPS)
    all_tx = rehearsed(folder, pg_url, TxMode.ALL, monkeypatch, batched=False)
    per_file = rehearsed(folder, pg_url, TxMode.PER_FILE, monkeypatch, batched=True)
    check_against_postgres(all_tx, pg_url, TxMode.ALL)
    check_against_postgres(per_file, pg_url, TxMode.PER_FILE)
    read, alter, again = all_tx.records
    assert ("AccessShareLock", "public.users") in read.locks
    assert alter.locks == [("AccessExclusiveLock", "public.users")]  # the upgrade, and nothing of the read's
    assert ("AccessShareLock", "public.users") in alter.already_held
    assert again.locks == []  # every lock it takes, the transaction holds already
    assert ("AccessExclusiveLock", "public.users") in again.already_held
    # each in its own transaction: each takes its own again
    assert [s.locks for s in per_file.records] == [read.locks, alter.locks, read.locks]
    assert all(s.already_held == [] for s in per_file.records)


OWN_COMMIT_STEPS: list[tuple[str, str | list[str]]] = [
    # its own BEGIN and COMMIT, as dittofeed's 0002 has: under --tx all that COMMIT ends the one
    # transaction, and every later statement runs in autocommit (drizzle-orm's COMMIT only warns)
    ("own_commit", ["BEGIN;", 'ALTER TABLE "users" ADD COLUMN "a" integer;', "COMMIT;"]),
    ("after_it", ['ALTER TABLE "users" ADD COLUMN "b" integer;', 'ALTER TABLE "users" ADD COLUMN "c" integer;']),
]


def test_after_a_migrations_own_commit_each_statement_takes_its_locks_again(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = pending_project(cli, tmp_path, pg_url, OWN_COMMIT_STEPS)
    all_tx = rehearsed(folder, pg_url, TxMode.ALL, monkeypatch, batched=False)
    per_file = rehearsed(folder, pg_url, TxMode.PER_FILE, monkeypatch, batched=True)
    check_against_postgres(all_tx, pg_url, TxMode.ALL)
    check_against_postgres(per_file, pg_url, TxMode.PER_FILE)
    exclusive = [("AccessExclusiveLock", "public.users")]
    b, c = (s for s in all_tx.records if s.tag.endswith("_after_it"))
    assert b.locks == c.locks == exclusive  # nothing held between them: each waits for the table again
    b, c = (s for s in per_file.records if s.tag.endswith("_after_it"))
    assert (b.locks, c.locks) == (exclusive, [])  # one transaction of their own


def test_statements_after_a_migrations_own_commit_in_it_take_their_locks_again_per_file(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statements after the COMMIT in the same migration: under ``--tx per-file`` too each runs and
    commits on its own (as drizzle-orm and ``migrate`` run them), so none finds the previous one's lock
    held; in one query they would have shared its implicit transaction."""
    steps: list[tuple[str, str | list[str]]] = [
        (
            "own_commit",
            [
                "BEGIN;",
                'ALTER TABLE "users" ADD COLUMN "a" integer;',
                "COMMIT;",
                'ALTER TABLE "users" ADD COLUMN "b" integer;',
                'ALTER TABLE "users" ADD COLUMN "c" integer;',
            ],
        ),
    ]
    folder = pending_project(cli, tmp_path, pg_url, steps)
    per_file = rehearsed(folder, pg_url, TxMode.PER_FILE, monkeypatch, batched=True)
    check_against_postgres(per_file, pg_url, TxMode.PER_FILE)
    exclusive = [("AccessExclusiveLock", "public.users")]
    assert [s.locks for s in per_file.records if "COLUMN" in s.text] == [exclusive] * 3


def test_a_failing_migration_under_tx_all_is_reported_with_the_earlier_ones_locks_their_own(
    cli: Any, tmp_path: Path, pg_url: str
) -> None:
    """A guard for the probe sent with each tracking row under ``--tx all``: a later migration that
    fails is reported at its place, everything rolled back, the earlier records as in a run that
    succeeds."""
    steps: list[tuple[str, str | list[str]]] = [
        *UPGRADE_STEPS[:2],
        ("broken", ['ALTER TABLE "users" ADD COLUMN "x" no_such_type;']),
    ]
    folder = pending_project(cli, tmp_path, pg_url, steps)
    r = svc.rehearse(project_of(folder, pg_url), ApplyRequest(tx_mode=TxMode.ALL))
    assert leftovers(pg_url) == []
    assert r.failure is not None and r.applied == []
    read, alter, broken = r.records
    assert broken.tag.endswith("_broken") and broken.error is not None and "42704" in broken.error
    assert broken.error.startswith(str(folder / f"{broken.tag}.sql") + ":")
    assert ("AccessShareLock", "public.users") in read.locks
    assert alter.locks == [("AccessExclusiveLock", "public.users")]
