"""What a rehearsal's copy is named and when a template copy is allowed: shared by :mod:`gtsd_tui.db.clone`
(psycopg) and :mod:`gtsd_tui.db.early_copy` (libpq before psycopg is imported), so both ask the same."""

from __future__ import annotations

import uuid

ADMIN_DB = "postgres"  # the maintenance database the copy is made from
SUFFIX = "__gtsd_rehearse_"


def template_copy_name(target: str) -> str:
    return (target[:30] + SUFFIX + uuid.uuid4().hex[:8])[:63]


def may_template_query(target_literal: str) -> str:
    """One row: may this role create databases; how many other sessions are connected to the target
    (``target_literal``: the quoted name, or a driver's placeholder)."""
    return (
        "SELECT (SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user), "
        f"(SELECT count(*) FROM pg_stat_activity WHERE datname = {target_literal} AND pid <> pg_backend_pid())"
    )
