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
    """One row: may this role create databases; how many other sessions are connected to the target;
    how many of those are idle sessions of gtsd-tui's own (``target_literal``: the quoted name, or a
    driver's placeholder, which then takes the name twice). An autovacuum worker is not
    counted: CREATE DATABASE ... TEMPLATE stops it itself (CountOtherDBBackends signals it and waits)."""
    others = (
        f"FROM pg_stat_activity WHERE datname = {target_literal} AND pid <> pg_backend_pid() "
        "AND backend_type <> 'autovacuum worker'"
    )
    return (
        "SELECT (SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user), "
        f"(SELECT count(*) {others}), "
        # of those, idle sessions of a gtsd-tui command (the plan's read of the target, closed just before:
        # its backend is on its way out); not a console's ("gtsd-tui console": open in another terminal,
        # it stays, and a rehearsal is not held five seconds for it)
        "(SELECT count(*) " + others + " AND state = 'idle' AND application_name = 'gtsd-tui')"
    )


# CREATE DATABASE ... TEMPLATE's strategy by the target's size (PostgreSQL 15 and later; older servers copy
# files, with no choice). WAL_LOG (the default) writes every block of the copy through the WAL; FILE_COPY
# copies the files and makes two checkpoints, which flush what is dirty in the whole cluster. Measured on
# PostgreSQL 15 and 18 (docs/migrate.md, "The copy's strategy"): with fsync on, FILE_COPY costs 2.2x-3.1x
# WAL_LOG's time for a 10 MB database, about as much at 50 MB, half of it from about 100 MB on; with
# fsync off (no checkpoint waits for the disk) 0.9x-1.0x at 10 MB and 0.55x-0.7x from 20 MB on.
FILE_COPY_FROM = 64 * 2**20  # bytes, fsync on
FILE_COPY_FROM_NO_FSYNC = 16 * 2**20  # bytes, fsync off
FILE_COPY = " STRATEGY = FILE_COPY"
STRATEGIES = ("", FILE_COPY)  # what strategy_query may answer: the clause appended to CREATE DATABASE


def strategy_query(target_literal: str) -> str:
    """One row (none when the target does not exist), one column: the clause for the template copy of the
    target (``target_literal``: the quoted name, or a driver's placeholder): :data:`FILE_COPY` on
    PostgreSQL 15 and later for a database of at least :data:`FILE_COPY_FROM` bytes
    (:data:`FILE_COPY_FROM_NO_FSYNC` with fsync off), else ''."""
    return (
        "SELECT CASE WHEN current_setting('server_version_num')::int >= 150000 "
        "AND has_database_privilege(d.oid, 'CONNECT') AND pg_database_size(d.oid) >= "
        f"CASE WHEN current_setting('fsync') = 'off' THEN {FILE_COPY_FROM_NO_FSYNC} ELSE {FILE_COPY_FROM} END "
        f"THEN '{FILE_COPY}' ELSE '' END FROM pg_database d WHERE d.datname = {target_literal}"
    )


# may create databases, other sessions on the target[, how many of those are gtsd-tui's own, idle]
Answer = tuple[bool, int] | tuple[bool, int, int] | None
OURS_TRIES = 500  # while every other session is an idle one of ours: about 5 s, as CREATE DATABASE waits


def settled(ask: Callable[[], Answer], tries: int = 100, pause: float = 0.01) -> Answer:
    """The answer of ``ask()`` (may create databases, other sessions on the target) once no other
    session is left, or the last one after ``tries`` (about 1 s): a session closed a moment ago (ours,
    the command run just before) leaves the server with a short delay. While every session left is an
    idle one of gtsd-tui's own (the answer's third number, where it has one), up to :data:`OURS_TRIES`:
    on a busy machine such a backend can take longer than a second to leave, and the rehearsal then fell
    back to a schema-only copy. None when asking failed."""
    answer = ask()
    for i in range(1, max(tries, OURS_TRIES)):
        if answer is None or not answer[0] or not answer[1]:
            break
        ours_only = len(answer) > 2 and answer[2] == answer[1]
        if i >= tries and not ours_only:
            break
        time.sleep(pause)
        answer = ask()
    return answer
