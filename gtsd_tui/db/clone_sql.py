"""What a rehearsal's copy is named and when a template copy is allowed: shared by :mod:`gtsd_tui.db.clone`
(psycopg) and :mod:`gtsd_tui.db.early_copy` (libpq before psycopg is imported), so both ask the same."""

from __future__ import annotations

import os
import socket

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
