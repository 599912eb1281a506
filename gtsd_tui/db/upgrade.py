"""drizzle-orm 1.0's upgrade of a v0 tracking table, done under our migration lock in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from gtsd_tui.core.drizzle_v1.v1 import TableUpgrade, plan_upgrade
from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.db.history import column_names, read_rows, table_exists, upgrade_statements
from gtsd_tui.errors import EXIT_PROBLEMS, DatabaseError, GtsdError


def upgrade_if_needed(
    conn: psycopg.Connection[Any],
    folder: Folder,
    schema: str,
    table: str,
    note: Callable[[str], None],
    xact_lock: Callable[[], None] | None = None,
) -> TableUpgrade | None:
    """When the table lacks ``name``: match its rows as ``upToV1`` does, refuse if any row matches no
    migration (nothing changed), else add ``name``/``applied_at`` and fill the names, all in one
    transaction. The caller holds the session migration lock, or passes ``xact_lock`` (PgBouncer
    transaction pooling) to take it inside that transaction; the table is read under the lock."""
    if not table_exists(conn, schema, table) or "name" in column_names(conn, schema, table):
        return None
    label = f"{schema}.{table}"
    try:
        with conn.transaction():
            if xact_lock is not None:
                xact_lock()
                if "name" in column_names(conn, schema, table):
                    return None  # another migrator upgraded it meanwhile
            upgrade = plan_upgrade(folder, read_rows(conn, schema, table))
            if not upgrade.possible:
                raise GtsdError(upgrade.refusal(label), exit_code=EXIT_PROBLEMS)
            for stmt in upgrade_statements(schema, table, upgrade.names):
                conn.execute(stmt)
    except psycopg.Error as exc:
        raise DatabaseError(f"upgrading {label}: {str(exc).strip().splitlines()[0]}") from None
    note(
        f"upgraded {label} as drizzle-orm 1.0 does: added name and applied_at, named "
        f"{len(upgrade.names)} row(s) ({', '.join(n for _, n in upgrade.names) or 'none'})"
    )
    return upgrade


def upgrade_sql_text(schema: str, table: str, upgrade: TableUpgrade) -> str:
    """The upgrade as SQL text for ``--dry-run`` (what will run, in order)."""
    stmts = [s.as_string(None) + ";" for s in upgrade_statements(schema, table, upgrade.names)]
    return "\n".join(["BEGIN;", *stmts, "COMMIT;"])
