"""``new`` on a Drizzle v1 folder: what ``drizzle-kit generate --custom`` 1.0.0-rc.5 writes.

Measured: a folder ``<UTC YYYYMMDDHHMMSS>_<name>`` whose time is ``max(now, parent folder time + 1 s)``,
``migration.sql`` (the kit writes ``-- Custom SQL migration file, put your code below! --``; we
write the guide's header and the body instead) and ``snapshot.json`` =
``{"type": "diff", "version": "9", "dialect": "postgres", "id", "prevIds": [parent id],
"footprints": [], "deltas": []}`` (``JSON.stringify(..., null, 2)``, no trailing newline).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

from gtsd_tui.core.drizzle_v1.v1 import ORIGIN, read_v1_snapshots
from gtsd_tui.core.drizzle_v1.v1_check import fork_report
from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.errors import InputError
from gtsd_tui.services import renumber_log
from gtsd_tui.services.console_types import NewMigration


def custom_snapshot_v1(prev_ids: list[str], like: dict[str, Any] | None = None) -> dict[str, Any]:
    like = like or {}
    return {
        "type": "diff",
        "version": like.get("version", "9"),
        "dialect": like.get("dialect", "postgres"),
        "id": str(uuid.uuid4()),
        "prevIds": prev_ids,
        "footprints": [],
        "deltas": [],
    }


def folder_time(when_ms: int) -> str:
    return dt.datetime.fromtimestamp(when_ms // 1000, dt.UTC).strftime("%Y%m%d%H%M%S")


def create_migration_v1(folder: Folder, suffix: str, description: str | None, body: str) -> NewMigration:
    report = fork_report(folder)
    if len(report.leaves) > 1:
        raise InputError(
            f"{folder.path}: {len(report.leaves)} open branches ({', '.join(report.leaves)}); join them first "
            "(gtsd-tui renumber re-parents the later branch, or drizzle-kit generate writes a merge snapshot)"
        )
    snaps = {s.folder: s for s in read_v1_snapshots(folder)}
    leaf = report.leaves[0] if report.leaves else None
    parent = snaps.get(leaf) if leaf else None
    if folder.migrations and parent is None:
        raise InputError(f"{folder.path / folder.migrations[-1].tag}: no snapshot.json to continue from")
    times = [m.when for m in folder.migrations if m.when is not None]
    when = max([int(time.time() * 1000)] + [t + 1000 for t in times])
    tag = f"{folder_time(when)}_{suffix}"
    if (folder.path / tag).exists():
        raise InputError(f"{folder.path / tag}: already exists")
    like: dict[str, Any] | None = None
    if parent is not None:
        like = json.loads((folder.path / parent.folder / "snapshot.json").read_text())
    snapshot = custom_snapshot_v1([parent.id] if parent and parent.id else [ORIGIN], like)
    created = dt.datetime.fromtimestamp(when / 1000, dt.UTC).strftime("%Y-%m-%d")
    what = description or suffix.replace("_", " ")
    sql = f"-- Migration: {tag}\n-- Created: {created}\n-- Description: {what}\n\n{body}"
    writes = {
        f"{tag}/migration.sql": sql.encode(),
        f"{tag}/snapshot.json": json.dumps(snapshot, indent=2, ensure_ascii=False).encode(),
    }
    renumber_log.commit(folder.path, moves=[], writes=writes, deletes=[])
    return NewMigration(tag, f"{tag}/migration.sql", when // 1000 * 1000, f"{tag}/snapshot.json")


def apply_reparent(project: Any, plan: Any) -> None:
    """Write the re-parented snapshots as one recoverable change (renumber's intent log)."""
    renumber_log.commit(project.folder_path, moves=[], writes=plan.writes, deletes=[])
    project.load_folder(refresh=True)
