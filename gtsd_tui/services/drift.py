"""Drift: the database against the snapshot of its newest applied migration (or of a named one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.migrations.snapshots import empty_snapshot
from gtsd_tui.core.migrations.status import HistoryRow, compute_status
from gtsd_tui.core.schema_drift.drift import Difference, compare
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import DatabaseError, InputError
from gtsd_tui.services.project import Project


@dataclass
class DriftReport:
    tag: str | None  # the migration whose snapshot the database is compared with; None: nothing applied
    snapshot: str | None  # its file, relative to the folder
    differences: list[Difference] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(self.differences)

    def as_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "snapshot": self.snapshot,
            "drift": self.drift,
            "differences": [d.as_json() for d in self.differences],
        }


def snapshot_path(folder: Folder, m: Migration) -> Path:
    if folder.layout == Layout.V1:
        return folder.path / m.tag / "snapshot.json"
    return folder.path / "meta" / f"{m.prefix}_snapshot.json"


def _load(path: Path, tag: str) -> dict[str, Any]:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path}: no snapshot for {tag} (drift compares with the snapshot drizzle-kit wrote)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable snapshot: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a snapshot (a JSON object expected)")
    return data


def expected_schema(folder: Folder, m: Migration) -> dict[str, Any]:
    """The snapshot of ``m`` as a v7 body (v1: the snapshots up to it replayed); InputError when there is none."""
    if folder.layout == Layout.V1:
        from gtsd_tui.core.schema_drift.drift_v1 import replay, v7_of_ddl

        chain = [x for x in sorted(folder.migrations, key=lambda x: x.position) if x.position <= m.position]
        return v7_of_ddl(
            replay([(str(snapshot_path(folder, x)), _load(snapshot_path(folder, x), x.tag)) for x in chain])
        )
    path = snapshot_path(folder, m)
    data = _load(path, m.tag)
    if str(data.get("version")) != "7" or data.get("dialect") != "postgresql":
        raise InputError(
            f"{path}: snapshot version {data.get('version')!r} of dialect {data.get('dialect')!r}; "
            "drift reads PostgreSQL v7 snapshots (run `drizzle-kit up`)"
        )
    return data


def newest_applied(project: Project, folder: Folder, rows: list[HistoryRow] | None = None) -> Migration | None:
    """The last migration in run order that has its row (applied, or applied and edited since)."""
    report = compute_status(folder, rows) if rows is not None else project.status(folder)
    applied = [s.migration for s in report.items if s.row is not None and s.migration.file is not None]
    return applied[-1] if applied else None


def target_migration(project: Project, folder: Folder, at: str | None, rows: list[HistoryRow]) -> Migration | None:
    if at is None:
        return newest_applied(project, folder, rows)
    m = folder.by_tag(at)
    if m is None:
        raise InputError(f"{at}: no such migration in {folder.path}")
    return m


def drift(project: Project, at: str | None = None) -> DriftReport:
    """The tracking rows and the catalog read on one connection, in one read-only transaction."""
    import psycopg

    from gtsd_tui.db.drift_catalog import read_schema
    from gtsd_tui.db.history import read_rows

    folder = project.load_folder()
    if at is not None and folder.by_tag(at) is None:  # before connecting: a usage error, not a database one
        raise InputError(f"{at}: no such migration in {folder.path}")
    s = project.settings
    with project.connect(autocommit=False) as conn:
        try:
            conn.read_only = True
            with conn.transaction():
                rows = read_rows(conn, s.schema, s.table)
                actual = read_schema(conn, s.schema, s.table)
        except psycopg.Error as exc:
            raise DatabaseError(f"reading the catalog: {str(exc).strip().splitlines()[0]}") from None
    m = target_migration(project, folder, at, rows)
    expected = expected_schema(folder, m) if m else empty_snapshot("", "")
    rel = str(snapshot_path(folder, m).relative_to(folder.path)) if m else None
    return DriftReport(m.tag if m else None, rel, compare(expected, actual))
