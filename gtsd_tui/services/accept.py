"""Edited applied migrations: classify each edit (cosmetic / substantive) and accept a cosmetic one.

The applied version is found in git history by the hash its row stores (as the console's diff
does). Accepting updates only that row's ``hash``; ``created_at`` stays, and drizzle-orm matches
v0 rows by it, so it still sees nothing pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from gtsd_tui.core.migrations.status import MODIFIED, MigrationStatus
from gtsd_tui.core.sql.equiv_types import EditClass
from gtsd_tui.errors import EXIT_PROBLEMS, GtsdError, InputError
from gtsd_tui.services.project import Project


@dataclass(frozen=True)
class Accepted:
    tag: str
    old_hash: str
    new_hash: str
    edit: EditClass


def classify_item(project: Project, item: MigrationStatus) -> EditClass:
    """How a modified migration's file differs from the version that was applied."""
    from gtsd_tui.core.migrations.hashing import drizzle_hash, drizzle_text
    from gtsd_tui.core.sql.sql_equiv import classify
    from gtsd_tui.services.gitutil import find_version

    folder = project.load_folder()
    assert item.row is not None
    found = find_version(folder.file_path(item.migration), item.row.hash, drizzle_hash)
    if found is None:
        return EditClass(None, None, [], "the applied version is not in git history")
    commit, raw = found
    eq = classify(drizzle_text(raw), drizzle_text(folder.read_bytes(item.migration)))
    return EditClass(eq.kind, commit, eq.diff, None)


def _find(project: Project, name: str) -> MigrationStatus:
    report = project.status(project.load_folder(refresh=True))
    base = name.rsplit("/", 1)[-1].removesuffix(".sql")
    for item in report.items:
        m = item.migration
        if base in (m.tag, (m.file or "").removesuffix(".sql")):
            if item.state != MODIFIED or item.row is None:
                raise GtsdError(
                    f"{m.file or m.tag}: {item.state}, not modified: nothing to accept", exit_code=EXIT_PROBLEMS
                )
            return item
    raise InputError(f"{name}: no such migration in {project.folder_path}")


def accept(project: Project, name: str, *, force: bool = False) -> Accepted:
    """Record the current hash of a modified migration whose edit is cosmetic (any edit with ``force``)."""
    from gtsd_tui.db.history import table_ident
    from gtsd_tui.db.lock import acquire, lock_key, release

    item = _find(project, name)
    edit = classify_item(project, item)
    m, row = item.migration, item.row
    assert row is not None and m.hash is not None
    if not force and not edit.cosmetic:
        why = edit.unknown or "the edit is substantive: the statements differ"
        lines = "\n".join(edit.diff)
        raise GtsdError(
            f"{m.file}: not accepted: {why}; the database ran the applied version. "
            f"Write a new migration for the change, or pass --force{chr(10) + lines if lines else ''}",
            exit_code=EXIT_PROBLEMS,
        )
    s = project.settings
    with project.connect() as conn:
        key = lock_key(s.schema, s.table)
        acquire(conn, key, timeout=10)
        try:
            from psycopg import sql

            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET hash = %s WHERE id = %s AND hash = %s AND created_at IS NOT DISTINCT FROM %s"
                ).format(table_ident(s.schema, s.table)),
                (m.hash, row.id, row.hash, row.created_at),
            )
            if done.rowcount != 1:
                raise GtsdError(f"{m.file}: its row changed meanwhile; run the command again", exit_code=EXIT_PROBLEMS)
        finally:
            release(conn, key)
    return Accepted(m.tag, row.hash, m.hash, edit)
