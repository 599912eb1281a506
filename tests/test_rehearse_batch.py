"""A rehearsal sends each transactional migration in one round trip, its statements each followed by the
probe (db/runner.py ``_observed_batch``), as ``migrate`` sends it without the probes. What it reports
must be what the statement-by-statement path reports (which the runner still takes for ``--tx all``, a
batch the server rejects whole, and non-transactional migrations): the same records, locks, rewrites,
schema diff and errors at the same ``file:line:col``, each duration charged to its own statement.

The projects are drizzle-kit 0.31's: a TypeScript schema, ``drizzle-kit generate`` and, for the
hand-written statements, ``drizzle-kit generate --custom`` (a file the user writes SQL into)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from gtsd_tui.db import runner
from gtsd_tui.services import rehearse as svc
from gtsd_tui.services.apply import ApplyRequest
from tests.test_rehearse import gone, leftovers
from tests.test_rehearse_overlap import project_of

pytestmark = [pytest.mark.pg, pytest.mark.node]

IMPORTS = 'import { pgTable, serial, text, integer, bigint, index } from "drizzle-orm/pg-core";\n'
USERS = 'export const users = pgTable("users", { id: serial("id").primaryKey(), email: text("email").notNull() });\n'
TASKS = (
    'export const tasks = pgTable("tasks", { id: serial("id").primaryKey(), n: integer("n").notNull(),\n'
    '  userId: integer("user_id").references(() => users.id) });\n'
)
USERS_2 = (
    'export const users = pgTable("users", { id: serial("id").primaryKey(), email: text("email").notNull(),\n'
    '  age: integer("age").default(0).notNull() }, (t) => [index("users_email_idx").on(t.email)]);\n'
)
TASKS_2 = (
    'export const tasks = pgTable("tasks", { id: serial("id").primaryKey(),\n'
    '  n: bigint("n", { mode: "number" }).notNull(),\n'
    '  userId: integer("user_id").references(() => users.id) }, (t) => [index("tasks_n_idx").on(t.n)]);\n'
)
TEAMS = (
    'export const teams = pgTable("teams", { id: serial("id").primaryKey(), name: text("name"),\n'
    '  ownerId: integer("owner_id").references(() => users.id) }, (t) => [index("teams_owner_idx").on(t.ownerId)]);\n'
)
BP = "\n--> statement-breakpoint\n"


def kit_project(cli: Any, tmp_path: Path, url: str, custom: list[str] | None = None) -> Path:
    """The first migration applied to ``url`` (with rows), then pending: drizzle-kit's changes (a new
    table with its foreign key and index, a column type change that rewrites, a column with a default,
    indexes) and, with ``custom``, a ``--custom`` migration holding those statements."""
    from tests.helpers.kit_project import base_project

    project = base_project(tmp_path, {"schema.ts": IMPORTS + USERS + TASKS})
    r = cli("migrate", "--migrations", str(project.folder), "--database-url", url)
    assert r.returncode == 0, r.stderr
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 300) g")
        conn.execute("INSERT INTO tasks (n, user_id) SELECT g, g FROM generate_series(1, 300) g")
    project.step({"schema.ts": IMPORTS + USERS_2 + TASKS_2 + TEAMS}, "v2")
    if custom is not None:
        project.kit("generate", "--custom", "--name", "by_hand")
        (written,) = project.folder.glob("*_by_hand.sql")
        written.write_text(written.read_text().rstrip("\n") + "\n" + BP.join(custom) + "\n")
    gone(url)
    return project.folder


def rehearsed(folder: Path, url: str, monkeypatch: pytest.MonkeyPatch, *, batched: bool) -> tuple[svc.Rehearsal, int]:
    """The rehearsal, batched (as it runs) or statement by statement (the observer declines the batch),
    and how many migrations the runner sent as one batch."""
    batches: list[int] = []
    real = runner.run_batch

    def counted(*args: Any, **kwargs: Any) -> Any:
        batches.append(1)
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(runner, "run_batch", counted)
        if not batched:
            m.setattr(svc.Recorder, "batch_probes", lambda *_: None)
        r = svc.rehearse(project_of(folder, url), ApplyRequest())
    assert leftovers(url) == []
    gone(url)
    return r, len(batches)


def seen(r: svc.Rehearsal) -> list[Any]:
    """Everything a record says but its duration."""
    return [
        (s.tag, s.file, s.line, s.column, s.text, s.transactional, s.locks, s.observed, s.already_held, s.rewrites)
        + (s.error, s.blockers, s.would_block)
        for s in r.records
    ]


def test_a_batched_rehearsal_reports_what_the_statement_by_statement_one_does(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = kit_project(cli, tmp_path, pg_url, ['UPDATE "users" SET "age" = 1;', 'UPDATE "tasks" SET "n" = "n" + 1;'])
    batched, sent = rehearsed(folder, pg_url, monkeypatch, batched=True)
    alone, sent_alone = rehearsed(folder, pg_url, monkeypatch, batched=False)
    assert batched.ok and alone.ok, (batched.failure, alone.failure)
    assert (sent, sent_alone) == (2, 0)  # both pending migrations in one round trip each, or none
    assert seen(batched) == seen(alone)
    assert len(batched.records) >= 9  # drizzle-kit's statements and the two written by hand
    assert [c.as_json() for c in batched.changes] == [c.as_json() for c in alone.changes]
    assert batched.applied == alone.applied
    rewrite = next(s for s in batched.records if "SET DATA TYPE bigint" in s.text)
    assert "public.tasks" in rewrite.rewrites and ("AccessExclusiveLock", "public.tasks") in rewrite.locks
    later = next(s for s in batched.records if s.text.startswith('UPDATE "tasks"'))
    assert later.already_held == []  # another migration, another transaction: nothing held from before
    assert all(s.seconds > 0 for s in batched.records)


def test_each_duration_is_its_own_statements(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One query for the whole migration: its statements share one statement_timestamp(), so each
    duration is read between the probes; a slow statement is charged its time, the next ones are not."""
    custom = ['UPDATE "users" SET "age" = 2;', "SELECT pg_sleep(0.4);", 'UPDATE "users" SET "age" = 3;']
    folder = kit_project(cli, tmp_path, pg_url, custom + ['CREATE INDEX "users_age_idx" ON "users" ("age");'])
    r, sent = rehearsed(folder, pg_url, monkeypatch, batched=True)
    assert r.ok and sent == 2
    by_hand = [s for s in r.records if s.tag.endswith("_by_hand")]
    assert [s.text for s in by_hand][:3] == [c.rstrip(";") for c in custom]
    slow = by_hand[1]
    assert slow.seconds >= 0.4
    assert all(s.seconds < 0.4 for s in r.records if s is not slow), [(s.text[:30], s.seconds) for s in r.records]


FAILING = {  # where, the statement, its SQLSTATE, what the error's column points at (None: its start)
    "first": (0, 'UPDATE "users" SET "nope" = 1;', "42703", '"nope"'),
    "middle": (
        1,
        'ALTER TABLE "users" ALTER COLUMN "email" SET DATA TYPE integer USING "email"::integer;',
        "22P02",
        None,
    ),
    "last": (2, 'UPDATE "users" SET  "nope" = 1;', "42703", '"nope"'),
    "syntax": (1, 'UPDATE "users" SET "age" = = 1;', "42601", "= 1"),  # the server rejects the whole batch
}


@pytest.mark.parametrize("where", list(FAILING))
def test_an_error_is_located_as_the_statement_by_statement_path_locates_it(
    where: str, cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, bad, sqlstate, points_at = FAILING[where]
    custom = ['UPDATE "users" SET "age" = 4;', 'CREATE INDEX "users_age_idx" ON "users" ("age");', "SELECT 1;"]
    custom[at] = bad
    folder = kit_project(cli, tmp_path, pg_url, custom)
    with psycopg.connect(pg_url) as conn:
        applied = conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()
    batched, sent = rehearsed(folder, pg_url, monkeypatch, batched=True)
    alone, _ = rehearsed(folder, pg_url, monkeypatch, batched=False)
    assert sent == 2  # a rejected batch: the same migration again, one statement at a time
    assert not batched.ok and batched.failure is not None and alone.failure is not None
    assert seen(batched) == seen(alone)
    failed = batched.records[-1]
    assert failed.tag.endswith("_by_hand") and failed.text == bad.rstrip(";")
    assert len([s for s in batched.records if s.tag == failed.tag]) == at + 1  # the ones before it, then it
    (file,) = folder.glob("*_by_hand.sql")
    lines = file.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text == bad)
    column = bad.index(points_at) + 1 if points_at else 1
    assert failed.error is not None and failed.error.startswith(f"{file}:{line}:{column}: {sqlstate}: ")
    assert batched.failure.message == alone.failure.message
    assert batched.failure.exit_code == alone.failure.exit_code
    with psycopg.connect(pg_url) as conn:  # only the copy ran anything
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == applied
        assert conn.execute("SELECT to_regclass('public.teams')").fetchone() == (None,)


def test_a_reset_all_between_statements_does_not_break_the_chain(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probes pass the mark and the clock on through two session settings, which a migration's own
    ``RESET ALL`` empties: the probe after it starts again from the migration's first mark and the
    query's start instead of failing (the statement-by-statement path passes the mark as a parameter)."""
    custom = ['UPDATE "users" SET "age" = 5;', "RESET ALL;", 'UPDATE "tasks" SET "n" = "n" + 1;']
    folder = kit_project(cli, tmp_path, pg_url, custom)
    batched, sent = rehearsed(folder, pg_url, monkeypatch, batched=True)
    alone, _ = rehearsed(folder, pg_url, monkeypatch, batched=False)
    assert batched.ok and alone.ok, (batched.failure, alone.failure)
    assert sent == 2
    assert seen(batched) == seen(alone)
    assert [s.text for s in batched.records if s.tag.endswith("_by_hand")] == [c.rstrip(";") for c in custom]
