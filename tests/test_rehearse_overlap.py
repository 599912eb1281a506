"""rehearse makes the copy (and reads its schema) while it parses the statements, and reads the copy's
schema afterwards while it reads the live target: the parse made meanwhile is the one the run records,
and no failure on either side leaves the copy behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.services import rehearse as svc
from gtsd_tui.services.apply import ApplyRequest
from gtsd_tui.services.project import Project
from tests.test_rehearse import applied_base, leftovers

pytestmark = pytest.mark.pg


def project_of(folder: Path, url: str) -> Project:
    return Project(load_settings(database_url=url, migrations=str(folder), cwd=folder.parent, environ={}))


def test_statements_parsed_while_copying_are_the_ones_recorded(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = applied_base(cli, tmp_path, pg_url)
    real = svc.all_facts
    parsed: list[int] = []

    def all_facts_then_no_more(folder: Any, steps: Any) -> Any:
        out = real(folder, steps)
        parsed.append(len(out))

        def again(*args: Any) -> Any:
            raise AssertionError("a statement parsed again during the run")

        monkeypatch.setattr(svc, "statement_facts", again)
        return out

    monkeypatch.setattr(svc, "all_facts", all_facts_then_no_more)
    r = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert r.ok, r.failure
    assert parsed == [4] and [rec.line for rec in r.records] == [1, 4, 5, 1]
    assert r.records[1].already_held == [("ShareLock", "public.users")]  # the names parsed beforehand
    assert r.records[3].locks == [("ShareUpdateExclusiveLock", "public.users")] and not r.records[3].observed
    assert leftovers(pg_url) == []


def test_a_parse_failure_while_copying_drops_the_copy(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = applied_base(cli, tmp_path, pg_url)

    def fails(folder: Any, steps: Any) -> Any:
        raise RuntimeError("parser gave up")

    monkeypatch.setattr(svc, "all_facts", fails)
    with pytest.raises(RuntimeError, match="parser gave up"):
        svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert leftovers(pg_url) == []  # the copy, still being made when the parse failed, was dropped once made


@pytest.mark.parametrize("failing", [1, 2], ids=["schema-before", "schema-after"])
def test_a_failed_schema_read_of_the_copy_drops_it(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    import gtsd_tui.db.catalog as catalog

    folder = applied_base(cli, tmp_path, pg_url)
    real, calls = catalog.read_catalog, []

    def read(conn: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == failing:
            raise RuntimeError("catalog read failed")
        return real(conn, **kw)

    monkeypatch.setattr(catalog, "read_catalog", read)
    with pytest.raises(RuntimeError, match="catalog read failed"):
        svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    # the read before runs beside the migrations on a template copy: the read after may still happen
    assert len(calls) >= failing and leftovers(pg_url) == []


def test_locks_taken_on_a_table_created_earlier_in_the_file_are_not_charged_to_the_next_statement(
    cli, tmp_path: Path, pg_url: str
) -> None:
    from tests.helpers.folders import make_folder
    from tests.test_rehearse import BASE

    created = (
        "CREATE TABLE notes (id serial PRIMARY KEY, user_id integer NOT NULL);\n--> statement-breakpoint\n"
        "ALTER TABLE notes ADD CONSTRAINT notes_user_fk FOREIGN KEY (user_id) REFERENCES users(id);\n"
    )
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("notes", created)])
    assert cli("migrate", "--migrations", str(folder), "--database-url", pg_url, "--to", "0000_base").returncode == 0
    r = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert r.ok, r.failure
    create, fk = r.records
    assert create.locks == []  # a relation the statement itself created: nobody else can see it
    # CREATE TABLE's ACCESS EXCLUSIVE on notes is held from then on: the FK statement did not take it
    assert ("AccessExclusiveLock", "public.notes") not in fk.locks
    assert ("AccessExclusiveLock", "public.notes") in fk.already_held
    assert ("ShareRowExclusiveLock", "public.users") in fk.locks
    assert ("ShareRowExclusiveLock", "public.notes") in fk.locks


def _reads_by_database(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The database each schema read is made on, in order (``+probe``: on the session that ran the probes)."""
    import gtsd_tui.db.catalog as catalog

    real, seen = catalog.read_catalog, []

    def read(conn: Any, **kw: Any) -> Any:
        probed = conn.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'gtsd_rehearse_probe'")
        seen.append(conn.info.dbname + ("+probe" if probed.fetchone()[0] else ""))
        return real(conn, **kw)

    monkeypatch.setattr(catalog, "read_catalog", read)
    return seen


def test_a_template_copy_is_diffed_from_the_target_schema_to_the_run_sessions_view_after_a_failure(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the target's schema (a template copy has the same catalog), read as soon as the copy is
    made, beside the run. After: read on the run's own session once the failed file is rolled back, so
    the diff has the files before it."""
    from tests.helpers.folders import make_folder
    from tests.test_rehearse import BASE, MIXED

    bad = "ALTER TABLE users ADD COLUMN d int;\n--> statement-breakpoint\nSELECT 1 / 0;\n"
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("mixed", MIXED), ("bad", bad)])
    assert cli("migrate", "--migrations", str(folder), "--database-url", pg_url, "--to", "0000_base").returncode == 0
    target = psycopg_dbname(pg_url)
    seen = _reads_by_database(monkeypatch)
    r = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert r.method == "template" and not r.ok and r.failure is not None and "22012" in r.failure.message
    # one read of each, in whichever order they came: the target's (beside the run, in a worker) may start
    # after a run that fails at once has been read back on its own session
    assert len(seen) == 2 and seen.count(target) == 1, seen
    (after,) = [d for d in seen if d != target]
    assert "__gtsd_rehearse_" in after and after.endswith("+probe"), seen
    summary = [c.as_json() for c in r.changes]
    assert any(c["name"] == "public.users.c" and c["action"] == "added" for c in summary), summary
    assert any(c["name"] == "public.tasks.n" and c["action"] == "changed" for c in summary), summary
    assert not any(c["name"] == "public.users.d" for c in summary)  # the failed file was rolled back
    assert leftovers(pg_url) == []


def test_a_schema_only_copy_is_diffed_from_its_own_schema(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    folder = applied_base(cli, tmp_path, pg_url)
    seen = _reads_by_database(monkeypatch)
    with psycopg.connect(pg_url):  # someone else connected: no template copy
        r = svc.rehearse(project_of(folder, pg_url), ApplyRequest(to_tag="0001_mixed"))
    assert r.method == "schema-only" and r.ok, r.failure
    assert len(seen) == 2 and "__gtsd_rehearse_" in seen[0] and seen[1] == seen[0] + "+probe"  # copy, then run
    changed = {(c.name, c.action) for c in r.changes}
    assert ("public.tasks.n", "changed") in changed and ("public.users.c", "added") in changed, changed
    assert leftovers(pg_url) == []


def psycopg_dbname(url: str) -> str:
    import psycopg

    return str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])


def test_the_copy_is_dropped_on_a_new_session_when_the_one_that_made_it_is_gone(
    cli, tmp_path: Path, pg_url: str
) -> None:
    import psycopg

    from gtsd_tui.db.clone import TEMPLATE, drop_clone, make_clone

    applied_base(cli, tmp_path, pg_url)
    clone = make_clone(pg_url, "drizzle", "__drizzle_migrations", lambda: "", lambda: "")
    assert clone.method == TEMPLATE and clone.session is not None and leftovers(pg_url) != []
    with psycopg.connect(pg_url, autocommit=True) as other:  # the session that made the copy is killed
        other.execute("SELECT pg_terminate_backend(%s)", (clone.session.info.backend_pid,))
    drop_clone(clone)
    assert leftovers(pg_url) == [] and clone.session.closed


def test_statements_run_before_the_parse_is_there_get_what_it_says_once_the_run_is_over(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run does not wait for the parse: the first statements are recorded with their place and text
    alone, and what only the parse tells (the locks earlier statements hold on their tables) is added
    after the run, as if it had been there from the start."""
    import threading

    folder = applied_base(cli, tmp_path, pg_url)
    reference = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    two_recorded = threading.Event()
    real_after, real_facts = svc.Recorder.after, svc.all_facts

    def after(self: svc.Recorder, *args: Any, **kwargs: Any) -> None:
        real_after(self, *args, **kwargs)
        if len(self.records) >= 2:
            two_recorded.set()

    def facts_after_two_statements(folder: Any, steps: Any) -> Any:
        assert two_recorded.wait(60)
        return real_facts(folder, steps)

    monkeypatch.setattr(svc.Recorder, "after", after)
    monkeypatch.setattr(svc, "all_facts", facts_after_two_statements)
    r = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert r.ok, r.failure

    def seen(x: svc.Rehearsal) -> list[Any]:
        return [(s.tag, s.line, s.column, s.text, s.locks, s.already_held, s.rewrites, s.observed) for s in x.records]

    assert seen(r) == seen(reference)
    assert r.records[1].already_held == [("ShareLock", "public.users")]  # recorded before the parse, added after
    assert leftovers(pg_url) == []


def test_the_copy_is_dropped_once_a_closed_session_has_left_and_despite_one_that_stays(
    cli, tmp_path: Path, pg_url: str
) -> None:
    """DROP DATABASE finding a session that is still leaving sleeps 100 ms before it looks again: the
    drop waits for the run's closed session to be gone first (a short poll), and a session that stays
    is still terminated by WITH (FORCE) once that wait is over."""
    import psycopg

    from gtsd_tui.db.clone import _left, drop_clone, make_clone

    applied_base(cli, tmp_path, pg_url)
    for stays in (False, True):
        clone = make_clone(pg_url, "drizzle", "__drizzle_migrations", lambda: "", lambda: "")
        assert clone.session is not None
        run = psycopg.connect(clone.url)
        run.execute("SELECT count(*) FROM pg_class").fetchone()
        if not stays:
            run.close()
            assert _left(clone.session, clone.name) == 0  # waited until its backend was gone
        else:
            assert _left(clone.session, clone.name, tries=3) == 1
        drop_clone(clone)
        assert leftovers(pg_url) == []
        if stays:
            with pytest.raises(psycopg.OperationalError):
                run.execute("SELECT 1")
            run.close()
