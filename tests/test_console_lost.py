"""The console's server goes away under it right after an apply, then comes back: a real PostgreSQL of
the test's own (an embedded one, ``fast``), stopped (``pg_ctl stop -m fast``) or killed (SIGKILL of the
postmaster) while the console runs with its pool's connections open."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.widgets.header import HeaderBar
from tests.test_tui import keys, make_app, wait_for

pytestmark = pytest.mark.pg


def _kill(data: Path) -> None:
    """SIGKILL of the postmaster; its backends notice and leave, the pid file stays (as after a crash)."""
    pid = int((data / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _start_again(base: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same server on the same port (the console's URL names it). After a SIGKILL its last backends
    may still hold the shared memory for a moment: pg_ctl refuses to start until they have left."""
    from gtsd_tui.db import embedded
    from gtsd_tui.errors import GtsdError

    monkeypatch.setattr(embedded, "free_port", lambda: port)
    for attempt in range(20):
        try:
            embedded.ensure_server(base, fast=True)
            return
        except GtsdError:
            if attempt == 19:
                raise
            time.sleep(0.5)


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_server_lost_right_after_an_apply_is_seen_and_recovered(
    how: str, sample: Path, outside_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apply one migration, lose the server, press r: the header turns to ``○ disconnected`` with the
    driver's own reason (not a pool's timeout, and not a read replaced by the next one forever while
    the statistics poll keeps failing); then the server is back on its port and the console
    reconnects by itself (its countdown), showing what was applied."""
    from gtsd_tui.db.embedded import ensure_server, stop_server

    base = outside_tmp / ".gtsd"
    server = ensure_server(base, fast=True)
    app = make_app(sample, server.url())
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            app.connections.interval = 0.5  # the statistics poll, failing once the server is gone, asks for reads
            await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 4)
            await pilot.press("2", "a")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_for(pilot, lambda: keys(app, "#history-table") == ["0000_initial_schema"])
            await wait_for(pilot, lambda: app.connections.stats is not None)  # the poll's connection is open too

            if how == "stop":
                stop_server(base)
            else:
                _kill(server.data_dir)
            await pilot.press("r")
            await wait_for(pilot, lambda: app.state is not None and not app.state.db.connected, timeout=30)
            error = app.state.db.error or ""
            assert str(server.port) in error and "couldn't get a connection" not in error, error
            header = str(app.main_screen.query_one(HeaderBar).render())
            assert "○ disconnected" in header and "retry in" in header, header

            _start_again(base, server.port, monkeypatch)
            await wait_for(pilot, lambda: app.state is not None and app.state.db.connected, timeout=30)
            assert keys(app, "#history-table") == ["0000_initial_schema"]
            assert "● connected" in str(app.main_screen.query_one(HeaderBar).render())
    finally:
        stop_server(base)


async def test_failing_statistics_polls_do_not_speed_up_the_back_off(sample: Path, outside_tmp: Path) -> None:
    """The server gone with the statistics poll at 0.2 s: only the state reads count as failures, so the
    waits stay 2, 4, 8, then 10 s (reads are made by the countdown, never by the polls meanwhile)."""
    from gtsd_tui.db.embedded import ensure_server, stop_server
    from gtsd_tui.tui import live

    base = outside_tmp / ".gtsd"
    server = ensure_server(base, fast=True)
    app = make_app(sample, server.url())
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            app.connections.interval = 0.2
            await wait_for(pilot, lambda: app.connections.stats is not None, timeout=30)
            stop_server(base)
            # a failed poll asks for the read that finds the server gone: the first failure
            await wait_for(pilot, lambda: app.state is not None and not app.state.db.connected, timeout=30)
            assert app.failures == 1 and app.retry_in in (1, 2)
            for failures, wait in ((2, 4), (3, 8), (4, 10), (5, 10)):
                app.retry_in = 1
                live.tick(app)  # the countdown reaches 0: one read
                await wait_for(pilot, lambda f=failures: app.failures == f)
                assert app.retry_in in (wait - 1, wait), (failures, app.retry_in)
                loaded = app.seen[0]  # states shown so far
                await pilot.pause(1.0)  # five poll intervals, at most one tick of a countdown of 3 or more
                assert (app.failures, app.seen[0], app.workers_in("state")) == (failures, loaded, False)
    finally:
        stop_server(base)
