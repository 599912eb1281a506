"""What the probe after each statement sees on a real PostgreSQL: rewrites by relfilenode, also of a table
a statement reaches only through a cascade, and the mark moving past each rewrite so a later statement
of the same transaction is charged only with its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gtsd_tui.services import rehearse as svc
from gtsd_tui.services.apply import ApplyRequest
from tests.helpers.folders import make_folder
from tests.test_rehearse import leftovers
from tests.test_rehearse_overlap import project_of

pytestmark = pytest.mark.pg

BASE = (
    "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n--> statement-breakpoint\n"
    "CREATE TABLE tasks (id serial PRIMARY KEY, user_id integer REFERENCES users (id), n integer);\n"
    "--> statement-breakpoint\nINSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 200) g;\n"
    "--> statement-breakpoint\nINSERT INTO tasks (user_id, n) SELECT g, g FROM generate_series(1, 200) g;\n"
)


def rehearse(cli, tmp_path: Path, url: str, pending: str) -> svc.Rehearsal:
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("pending", pending)])
    assert cli("migrate", "--migrations", str(folder), "--database-url", url, "--to", "0000_base").returncode == 0
    r = svc.rehearse(project_of(folder, url), ApplyRequest())
    assert r.ok, r.failure
    assert leftovers(url) == []
    return r


def test_a_table_truncated_through_a_cascade_is_reported_rewritten(cli, tmp_path: Path, pg_url: str) -> None:
    (trunc,) = rehearse(cli, tmp_path, pg_url, "TRUNCATE users CASCADE;\n").records
    assert "public.users" in trunc.rewrites and "public.tasks" in trunc.rewrites  # tasks: never named
    assert "public.tasks_pkey" in trunc.rewrites
    assert ("AccessExclusiveLock", "public.tasks") in trunc.locks


def test_each_rewrite_in_one_transaction_is_charged_to_its_own_statement(cli, tmp_path: Path, pg_url: str) -> None:
    pending = (
        "ALTER TABLE tasks ALTER COLUMN n SET DATA TYPE bigint;\n--> statement-breakpoint\n"
        "ALTER TABLE tasks ALTER COLUMN n SET DEFAULT 1;\n--> statement-breakpoint\n"
        "ALTER TABLE tasks ALTER COLUMN n SET DATA TYPE numeric;\n--> statement-breakpoint\n"
        "CREATE TABLE notes (id serial PRIMARY KEY);\n--> statement-breakpoint\n"
        "ALTER TABLE users ADD COLUMN c integer;\n"
    )
    first, default, second, create, add = rehearse(cli, tmp_path, pg_url, pending).records
    assert "public.tasks" in first.rewrites and "public.tasks" in second.rewrites
    assert default.rewrites == [] and create.rewrites == [] and add.rewrites == []
    assert create.locks == []  # the new table's own locks are not charged to it


def test_preparing_the_probes_is_one_round_trip_on_a_session_that_has_them(pg_url: str) -> None:
    """The run's session is opened and its probes prepared beforehand (services/rehearse_copy.py); the run
    then asks for them again and only the mark is new: one query, with the mark of the moment."""
    import psycopg

    from gtsd_tui.db import probe

    with psycopg.connect(pg_url, autocommit=True, prepare_threshold=None) as conn:
        sent: list[str] = []
        real = conn.execute

        def counted(query: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(str(query))
            return real(query, *args, **kwargs)

        conn.execute = counted  # type: ignore[method-assign]
        first = probe.prepare_probe(conn)
        assert len(sent) == 2  # which are there and the mark; both PREPAREs in one query
        sent.clear()
        conn.execute("CREATE TABLE probed (id int)")
        again = probe.prepare_probe(conn)
        assert len(sent) == 2  # the CREATE TABLE, then one query
        assert again > first and again == probe.current_mark(conn)
        names = [r[0] for r in real("SELECT name FROM pg_prepared_statements ORDER BY name").fetchall()]
        assert names == sorted([probe.CHAIN_NAME, probe.PROBE_NAME])
