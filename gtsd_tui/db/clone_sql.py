"""What a rehearsal's copy is named and when a template copy is allowed: shared by :mod:`gtsd_tui.db.clone`
(psycopg) and :mod:`gtsd_tui.db.early_copy` (libpq before psycopg is imported), so both ask the same."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

from gtsd_tui.core.dbnames import REHEARSE_SUFFIX, rehearse_name

ADMIN_DB = "postgres"  # the maintenance database the copy is made from
SUFFIX = REHEARSE_SUFFIX


def template_copy_name(target: str) -> str:
    """The copy's name: the target's (shortened by bytes when needed), our pid and host, 4 random hex."""
    return rehearse_name(target, os.getpid(), socket.gethostname(), os.urandom(2).hex())


ORPHANS_QUERY = "SELECT datname FROM pg_database WHERE datname LIKE '%\\_\\_gtsd\\_rehearse\\_%'"


def may_template_query(target_literal: str) -> str:
    """One row: may this role create databases; how many other sessions are connected to the target
    (``target_literal``: the quoted name, or a driver's placeholder). An autovacuum worker is not
    counted: CREATE DATABASE ... TEMPLATE stops it itself (CountOtherDBBackends signals it and waits)."""
    return (
        "SELECT (SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user), "
        f"(SELECT count(*) FROM pg_stat_activity WHERE datname = {target_literal} AND pid <> pg_backend_pid() "
        "AND backend_type <> 'autovacuum worker')"
    )


Answer = tuple[bool, int] | None  # may create databases, other sessions on the target


def settled(ask: Callable[[], Answer], tries: int = 100, pause: float = 0.01) -> Answer:
    """The answer of ``ask()`` (may create databases, other sessions on the target) once no other
    session is left, or the last one after ``tries`` (about 1 s): a session closed a moment ago (ours,
    the command run just before) leaves the server with a short delay. None when asking failed."""
    answer = ask()
    for _ in range(tries - 1):
        if answer is None or not answer[0] or not answer[1]:
            break
        time.sleep(pause)
        answer = ask()
    return answer
