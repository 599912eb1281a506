"""What a new user meets when the console cannot read the database: the reason in full, no endless retry
of what cannot succeed, and no "no problems found" about what was not read (real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.core.connect_failure import AUTH, MISSING_DATABASE, UNREACHABLE, failure_kind, retry_helps
from gtsd_tui.tui import live
from gtsd_tui.tui.widgets.header import DbProblem, HeaderBar
from tests.conftest import PW_ROLE, PW_SECRET
from tests.test_tui import make_app, wait_for

pytestmark = pytest.mark.pg


def text_of(app, widget_type) -> str:
    return str(app.main_screen.query_one(widget_type).render())


def kind(app) -> str:
    return failure_kind(app.state.db.error or "")


def states_started(app) -> int:
    return sum(1 for w in app.workers if w.group == "state")


@pytest.mark.parametrize("size", [(80, 24), (120, 34)])
async def test_wrong_password_shows_the_reason_in_full_and_is_not_retried(
    sample: Path, pg_url: str, size: tuple[int, int]
) -> None:
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    url = f"postgresql://{PW_ROLE}:not-{PW_SECRET}@{host_port}/postgres"
    app = make_app(sample, url)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.state is not None and bool(app.state.db.error))
        assert kind(app) == AUTH and not retry_helps(app.state.db.error, app.state.db.fatal)
        await pilot.pause(0.1)
        problem = text_of(app, DbProblem)
        assert "password authentication failed" in problem  # the reason, not cut at any width
        assert "not retrying: fix the user or password in --database-url, then r" in problem
        assert PW_SECRET not in problem and PW_SECRET not in text_of(app, HeaderBar)
        assert "not retrying" in text_of(app, HeaderBar) and "retry in" not in text_of(app, HeaderBar)
        before = states_started(app)
        app.retry_in = 1
        for _ in range(15):  # the once-a-second tick, 15 times: no new attempt
            live.tick(app)
        assert states_started(app) == before
        await pilot.press("3")
        await wait_for(pilot, lambda: "not checked" in str(app.conflicts.query_one("#conflicts-note").render()))
        assert "no problems found" not in str(app.conflicts.query_one("#conflicts-note").render())
        await pilot.press("4")
        await pilot.pause(0.1)
        summary = str(app.connections.query_one("#stats-summary").render())
        assert "first poll" not in summary and "no database" in summary


async def test_missing_database_is_not_retried_and_names_r(sample: Path, pg_url: str) -> None:
    app = make_app(sample, pg_url + "_absent")
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None and bool(app.state.db.error))
        assert kind(app) == MISSING_DATABASE
        await pilot.pause(0.1)
        problem = text_of(app, DbProblem)
        assert "does not exist" in problem and "R creates the database" in problem


async def test_unreachable_host_is_retried_with_a_countdown(sample: Path) -> None:
    app = make_app(sample, "postgresql://app:pw@127.0.0.1:1/gtsd")
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None and bool(app.state.db.error))
        assert kind(app) == UNREACHABLE and retry_helps(app.state.db.error, app.state.db.fatal)
        # soon first (a server another console is still starting), then 4, 8, 10; the 1-second countdown
        # may already have ticked once on a loaded machine
        assert app.failures == 1 and app.retry_in in (1, 2)
        await pilot.pause(0.1)
        assert "127.0.0.1" in text_of(app, DbProblem)
        for failures, wait in ((2, 4), (3, 8), (4, 10), (5, 10)):  # the documented back-off: 2, 4, 8, then 10 s
            app.retry_in = 1
            before = states_started(app)
            live.tick(app)  # the countdown reaches 0: a read, and the header says so
            assert states_started(app) == before + 1 and "retrying…" in text_of(app, HeaderBar)
            live.tick(app)  # no second read while that one is on its way
            assert states_started(app) == before + 1
            await wait_for(pilot, lambda f=failures: app.failures == f)
            assert app.retry_in in (wait - 1, wait), (failures, app.retry_in)


def test_failure_kinds_from_the_server_messages() -> None:
    assert failure_kind('cannot connect to x: FATAL:  password authentication failed for user "a"') == AUTH
    assert failure_kind('cannot connect to x: FATAL:  role "nobody" does not exist') == AUTH
    assert failure_kind('cannot connect to x: FATAL:  database "nope" does not exist') == MISSING_DATABASE
    assert failure_kind("cannot connect to x: Connection refused") == UNREACHABLE
