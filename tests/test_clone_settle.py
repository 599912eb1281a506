"""Whether a template copy may be made: the other sessions on the target are waited for (a session
closed a moment ago leaves the server with a delay), about a second for anyone's, up to about five
while every one left is an idle session of gtsd-tui's own (the plan's read, closed just before the copy
is asked for): on a busy machine such a backend took longer than a second to leave, and the rehearsal
fell back to a schema-only copy. Against a real PostgreSQL."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from gtsd_tui.db.clone import _may_template, open_admin
from gtsd_tui.db.clone_sql import settled


def _answers(*seq: tuple[int, ...]):
    it = iter(seq)
    last: list[tuple[int, ...]] = []

    def ask():
        try:
            last[:] = [next(it)]
        except StopIteration:
            pass
        return (True, *last[0][1:]) if last else None

    return ask


@pytest.mark.parametrize(
    ("answers", "want"),
    [
        ([(1, 1, 1)] * 150 + [(1, 0, 0)], (True, 0, 0)),  # only ours, idle: waited past the second
        ([(1, 1, 0)] * 150 + [(1, 0, 0)], (True, 1, 0)),  # someone else's: given up after the second
        ([(1, 2, 1)] * 150 + [(1, 0, 0)], (True, 2, 1)),  # ours and someone else's: the same
        ([(1, 1)] * 150 + [(1, 0)], (True, 1)),  # an answer without the third number: as before
        ([(1, 1, 1)] * 600, (True, 1, 1)),  # ours that never leaves: given up after about five seconds
    ],
)
def test_how_long_sessions_are_waited_for(answers: list[tuple[int, ...]], want: tuple[int, ...]) -> None:
    assert settled(_answers(*answers), pause=0) == want


@pytest.mark.pg
@pytest.mark.parametrize(("app", "template"), [("gtsd-tui", True), ("psql", False), ("gtsd-tui console", False)])
def test_an_idle_session_leaving_after_a_second(pg_url: str, app: str, template: bool) -> None:
    """An idle session on the target that leaves later: a gtsd-tui command's is waited for (the copy may
    be a template copy: it leaves 1.5 s later); anyone else's is not (the second's wait, then why not),
    nor a console's, which stays open in its own terminal (these leave 3 s later: on a loaded machine the
    second's wait itself took 1.5 s, and a session leaving then was seen gone)."""
    target = psycopg.conninfo.conninfo_to_dict(pg_url)["dbname"]
    session = psycopg.connect(pg_url, application_name=app, autocommit=True)
    session.execute("SELECT 1")  # idle from now on
    leaves = 1.5 if template else 3.0
    closer = threading.Timer(leaves, session.close)
    closer.start()
    try:
        with open_admin(pg_url) as admin:
            t0 = time.monotonic()
            why_not = _may_template(admin, pg_url, target)
            waited = time.monotonic() - t0
    finally:
        closer.join()
        session.close()
    if template:
        assert why_not is None and waited >= 1.4, (why_not, waited)
    else:
        assert why_not == f"1 other session(s) are connected to {target}" and waited < leaves - 0.1, (why_not, waited)
