"""Baseline: adopt a database whose schema was made without the migrator.

The schema must be the snapshot of TAG (drift finds nothing); then the rows drizzle-orm would have
written for every migration up to TAG are written, under the migration lock, into a tracking table
that has none. Nothing is written when the schema differs, when rows exist, or on a dry run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.schema_drift.drift import Difference, compare
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import EXIT_PROBLEMS, GtsdError, InputError
from gtsd_tui.services.drift import expected_schema
from gtsd_tui.services.project import Project

LOCK_WAIT = 10.0


@dataclass
class BaselineResult:
    tag: str
    rows: list[tuple[str, int, str | None]]  # (hash, created_at, name) in insertion order
    differences: list[Difference] = field(default_factory=list)
    written: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "written": self.written,
            "rows": [{"hash": h, "created_at": w, "name": n} for h, w, n in self.rows],
            "differences": [d.as_json() for d in self.differences],
        }


def rows_up_to(folder: Folder, m: Migration) -> list[tuple[str, int, str | None]]:
    """The rows drizzle-orm writes on a fresh database for every migration up to ``m``, in its order."""
    out: list[tuple[str, int, str | None]] = []
    for x in sorted(folder.migrations, key=lambda x: x.position):
        if not x.in_journal or x.side is not None:
            continue
        if x.hash is None or x.when is None:
            raise InputError(
                f"{folder.path}: {x.tag} has no file; baseline writes rows only for migrations it can hash"
            )
        out.append((x.hash, x.when, x.tag if folder.layout == Layout.V1 else None))
        if x.tag == m.tag:
            return out
    raise InputError(f"{m.tag}: not in the run order of {folder.path}")


def baseline(project: Project, tag: str, *, dry_run: bool = False, confirm: Any = None) -> BaselineResult:
    """Compare, then (unless ``dry_run``, and when ``confirm(result)`` says yes) write the rows."""
    from gtsd_tui.db import lock
    from gtsd_tui.db.baseline import write_rows
    from gtsd_tui.db.drift_catalog import read_schema
    from gtsd_tui.db.history import read_rows

    folder = project.load_folder()
    m = folder.by_tag(tag)
    if m is None:
        raise InputError(f"{tag}: no such migration in {folder.path}")
    expected = expected_schema(folder, m)
    result = BaselineResult(m.tag, rows_up_to(folder, m))
    s = project.settings
    with project.connect() as conn:
        key = lock.lock_key(s.schema, s.table)
        lock.acquire(conn, key, timeout=LOCK_WAIT)
        try:
            existing = read_rows(conn, s.schema, s.table)
            if existing:
                raise GtsdError(
                    f"{s.table_label} already holds {len(existing)} row(s): baseline adopts a database "
                    "the migrator has never recorded; nothing written",
                    exit_code=EXIT_PROBLEMS,
                )
            result.differences = compare(expected, read_schema(conn, s.schema, s.table))
            if result.differences or dry_run or (confirm is not None and not confirm(result)):
                return result
            write_rows(conn, s.schema, s.table, result.rows, v1=folder.layout == Layout.V1)
            result.written = True
        finally:
            lock.release(conn, key)
    return result
