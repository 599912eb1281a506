"""The run's session on an early copy (services/rehearse_copy.py ``open_run_session``): opened, and the
probes prepared on it, as soon as the server has made the copy, while the plan is still read from the
target; the migrations run on that very session, the report is the one a session opened afterwards
gives, and a rehearsal that does not run (nothing pending, a refusal) closes it before the copy is dropped.

The project is drizzle-kit 0.31's (tests/test_rehearse_batch.py ``kit_project``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gtsd_tui.db import early_copy
from gtsd_tui.services import apply as apply_svc
from gtsd_tui.services import rehearse as svc
from gtsd_tui.services import rehearse_copy
from gtsd_tui.services.apply import ApplyRequest
from tests.test_early_copy import dbname, with_db
from tests.test_rehearse import gone, leftovers
from tests.test_rehearse_batch import kit_project, seen
from tests.test_rehearse_overlap import project_of

pytestmark = [pytest.mark.pg, pytest.mark.node]


def sessions_on(url: str, name: str, *, wait_for: int | None = None, seconds: float = 5.0) -> list[int]:
    """The client sessions connected to database ``name`` (on ``url``'s server, asked from the maintenance
    database); ``wait_for``: polled until there are that many, at most ``seconds``."""
    query = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
    deadline = time.monotonic() + seconds
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as admin:
        while True:
            pids = [int(p) for (p,) in admin.execute(query, (name,)).fetchall()]
            if wait_for is None or len(pids) == wait_for or time.monotonic() > deadline:
                return pids
            time.sleep(0.02)


def made_early(url: str) -> early_copy.EarlyCopy:
    early = early_copy.start(url, dbname(url))
    assert early is not None and early.made()
    return early


def test_the_run_session_is_opened_on_the_early_copy_while_the_plan_is_made(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    early = made_early(pg_url)
    during_plan: list[list[int]] = []
    real_plan = apply_svc.prepare_plan

    def prepare_plan(*args: Any, **kwargs: Any) -> Any:
        prepared = real_plan(*args, **kwargs)
        if not during_plan:  # the rehearsal's own plan
            during_plan.append(sessions_on(pg_url, early.name, wait_for=1))
        return prepared

    ran_on: list[int] = []
    real_finished = svc.Recorder.finished

    def finished(self: svc.Recorder, conn: Any) -> None:
        ran_on.append(conn.info.backend_pid)
        real_finished(self, conn)

    monkeypatch.setattr(apply_svc, "prepare_plan", prepare_plan)
    monkeypatch.setattr(svc.Recorder, "finished", finished)
    try:
        r = svc.rehearse(project_of(folder, pg_url), ApplyRequest(), early=early)
    finally:
        rehearse_copy.finish_early_copy(early)
    assert r.ok and r.method == "template", r.failure
    assert len(r.records) > 5 and all(not rec.error for rec in r.records)
    # one session on the copy once the plan was made: the one the migrations then ran on
    assert during_plan == [ran_on], (during_plan, ran_on)
    assert leftovers(pg_url) == []


def test_without_an_early_copy_the_run_session_is_opened_as_soon_as_the_copy_is_made(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console's rehearsals and ``GTSD_EARLY_COPY=0``: the copy is the rehearsal's own, and the session
    the migrations run on is opened (probes prepared) beside the rest once it is made, not by the run."""
    folder = kit_project(cli, tmp_path, pg_url)
    given: list[int | None] = []
    real_apply = svc.apply

    def apply(*args: Any, session: Any = None, **kwargs: Any) -> Any:
        given.append(None if session is None else session.info.backend_pid)
        return real_apply(*args, session=session, **kwargs)

    ran_on: list[int] = []
    real_finished = svc.Recorder.finished

    def finished(self: svc.Recorder, conn: Any) -> None:
        ran_on.append(conn.info.backend_pid)
        real_finished(self, conn)

    monkeypatch.setattr(svc, "apply", apply)
    monkeypatch.setattr(svc.Recorder, "finished", finished)
    r = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert r.ok and r.method == "template", r.failure
    assert given == ran_on and None not in given, (given, ran_on)
    assert leftovers(pg_url) == []


def test_an_early_copy_that_was_not_made_leaves_the_session_to_the_rehearsals_own_copy(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone was connected to the target at the start (no early copy) and left before the rehearsal
    made its own: the run's session is opened on that copy as soon as it is made, as without an early copy."""
    folder = kit_project(cli, tmp_path, pg_url)
    with psycopg.connect(pg_url):
        early = early_copy.start(pg_url, dbname(pg_url))
        assert early is not None and not early.made()
    gone(pg_url)
    given: list[int | None] = []
    real_apply = svc.apply

    def apply(*args: Any, session: Any = None, **kwargs: Any) -> Any:
        given.append(None if session is None else session.info.backend_pid)
        return real_apply(*args, session=session, **kwargs)

    monkeypatch.setattr(svc, "apply", apply)
    try:
        r = svc.rehearse(project_of(folder, pg_url), ApplyRequest(), early=early)
    finally:
        rehearse_copy.finish_early_copy(early)
    assert r.ok and r.method == "template", r.failure
    assert len(given) == 1 and given[0] is not None, given
    assert leftovers(pg_url) == []


def test_the_report_on_the_session_opened_beforehand_is_the_one_on_a_session_opened_after(
    cli: Any, tmp_path: Path, pg_url: str
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    early = made_early(pg_url)
    try:
        warm = svc.rehearse(project_of(folder, pg_url), ApplyRequest(), early=early)
    finally:
        rehearse_copy.finish_early_copy(early)
    gone(pg_url)
    cold = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert warm.ok and cold.ok and warm.method == cold.method == "template"
    assert seen(warm) == seen(cold)
    assert [c.as_json() for c in warm.changes] == [c.as_json() for c in cold.changes]
    assert warm.applied == cold.applied
    assert leftovers(pg_url) == []


@pytest.mark.parametrize(
    ("to_tag", "raises"), [("0000", False), ("9999_nope", True)], ids=["nothing-pending", "refused"]
)
def test_a_rehearsal_that_does_not_run_closes_the_session_opened_on_the_copy(
    cli: Any, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, to_tag: str, raises: bool
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    first = sorted(p.stem for p in folder.glob("*.sql"))[0]
    tag = first if to_tag == "0000" else to_tag
    early = made_early(pg_url)
    opened: list[Any] = []
    real = svc.open_run_session

    def open_run_session(url: str, copy: Any) -> Any:
        conn = real(url, copy)
        opened.append(conn)
        return conn

    monkeypatch.setattr(svc, "open_run_session", open_run_session)
    try:
        if raises:
            with pytest.raises(Exception, match="9999_nope"):
                svc.rehearse(project_of(folder, pg_url), ApplyRequest(to_tag=tag), early=early)
        else:
            r = svc.rehearse(project_of(folder, pg_url), ApplyRequest(to_tag=tag), early=early)
            assert r.method == "none" and not r.records
        assert len(opened) == 1 and opened[0] is not None and opened[0].closed
        assert sessions_on(pg_url, early.name, wait_for=0) == []  # nobody left for the drop to wait for
    finally:
        rehearse_copy.finish_early_copy(early)
    assert leftovers(pg_url) == []
