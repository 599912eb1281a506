"""Folder-changing operations shared by the CLI and the console: renumber and new."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gtsd_tui.core.merging.renumber import RenumberPlan, plan_renumber
from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.core.migrations.journal import Journal, JournalEntry, dumps_json
from gtsd_tui.core.migrations.snapshots import custom_snapshot
from gtsd_tui.core.migrations.status import APPLIED, MODIFIED, HistoryRow
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import InputError
from gtsd_tui.services import gitutil, renumber_log
from gtsd_tui.services.console_types import NewMigration as NewMigration  # re-exported: callers name it here
from gtsd_tui.services.folder_lock import folder_lock
from gtsd_tui.services.folder_stamp import fingerprint as fingerprint  # re-exported: callers name it here
from gtsd_tui.services.project import Project


@dataclass
class RenumberContext:
    plan: RenumberPlan
    pinned_by: str  # "database", "base", "database and base", "journal order"
    db_note: str | None
    fingerprint: tuple[tuple[str, int, int, int], ...] = ()  # the folder the plan was made from
    db_pins: tuple[frozenset[str], int | None] | None = None  # applied tags and mark, when read from the database


def now_ms() -> int:
    return int(time.time() * 1000)


def prepare_renumber(
    project: Project, *, base: str | None = None, force: bool = False, use_db: bool = True
) -> RenumberContext:
    folder = project.load_folder(refresh=True)
    pinned: set[str] | None = None
    sources = []
    mark: int | None = None
    note = None
    db_pins = None
    if use_db:
        rows, note = project.try_rows()
        if rows is not None:
            db_pins = _pins(folder, rows)
            pinned, mark = set(db_pins[0]), db_pins[1]
            sources.append("database")
    if base:
        top = gitutil.work_tree(folder.path)
        if top is None:
            raise InputError(f"--base {base}: {folder.path} is not in a git work tree")
        pinned = (pinned or set()) | gitutil.base_tags(top, base, folder.path)
        sources.append("base")
    plan = plan_renumber(folder, pinned=pinned, db_mark=mark, now_ms=now_ms(), force=force)
    return RenumberContext(plan, " and ".join(sources) or "journal order", note, fingerprint(folder.path), db_pins)


def _pins(folder: Folder, rows: list[HistoryRow]) -> tuple[frozenset[str], int | None]:
    """What the database pins in a renumber: the applied (or modified) tags, and drizzle-orm's mark."""
    from gtsd_tui.core.migrations.status import compute_status

    report = compute_status(folder, rows)
    return frozenset(s.migration.tag for s in report.items if s.state in (APPLIED, MODIFIED)), report.mark


def apply_renumber(project: Project, ctx: RenumberContext | RenumberPlan, *, wait: float = 10.0) -> None:
    """Commit a plan under the folder lock, refusing when the folder changed since it was made."""
    folder = project.folder_path
    plan = ctx.plan if isinstance(ctx, RenumberContext) else ctx
    with folder_lock(folder, "gtsd-tui renumber", wait=wait):
        if isinstance(ctx, RenumberContext) and ctx.fingerprint and fingerprint(folder) != ctx.fingerprint:
            raise InputError(f"{folder}: changed since the renumber plan was made; nothing written, plan again")
        with _migration_lock(project, ctx, wait):  # no migrate writes rows from the old journal meanwhile
            top = gitutil.work_tree(folder)
            renumber_log.commit(folder, moves=plan.sql_moves, writes=plan.writes, deletes=plan.deletes, git_top=top)
    project.load_folder(refresh=True)


@contextmanager
def _migration_lock(project: Project, ctx: RenumberContext | RenumberPlan, wait: float) -> Iterator[None]:
    """A plan pinned by the database is committed under the database's migration lock, after the rows
    are read again under it: a migrate that applied a migration since the plan was read refuses the
    plan (nothing written); a migrate starting now waits, then re-reads the journal (services.apply)."""
    if not isinstance(ctx, RenumberContext) or ctx.db_pins is None:
        yield
        return
    from gtsd_tui.db import lock
    from gtsd_tui.db.history import read_rows

    s = project.settings
    key = lock.lock_key(s.schema, s.table)
    with project.connect() as conn:
        lock.acquire(conn, key, timeout=wait)
        try:
            if _pins(project.load_folder(), read_rows(conn, s.schema, s.table)) != ctx.db_pins:
                raise InputError(
                    "the database changed since the renumber plan was made (a migrate ran); nothing written, plan again"
                )
            yield
        finally:
            lock.release_quietly(conn, key)


_NAME = re.compile(r"[^a-z0-9_]+")


def create_migration(project: Project, name: str, description: str | None = None, body: str = "") -> NewMigration:
    """The guide's manual migration, done as ``drizzle-kit generate --custom`` does it; in a fresh project
    the folder (and then its journal) is created, as drizzle-kit does."""
    if not _NAME.sub("_", name.strip().lower()).strip("_"):
        raise InputError(f"{name!r}: a migration name needs letters or digits")  # before anything is made
    project.folder_path.mkdir(parents=True, exist_ok=True)
    with folder_lock(project.folder_path, "gtsd-tui new"):
        return _create_migration(project, name, description, body)


def _create_migration(project: Project, name: str, description: str | None, body: str) -> NewMigration:
    folder = project.load_folder(allow_empty=True, refresh=True)
    _refuse_inconsistent(folder)
    suffix = _NAME.sub("_", name.strip().lower()).strip("_")
    if not suffix:
        raise InputError(f"{name!r}: a migration name needs letters or digits")
    if folder.layout == Layout.V1:  # a folder per migration, as drizzle-kit 1.0 generate --custom
        from gtsd_tui.services.new_v1 import create_migration_v1

        made = create_migration_v1(folder, suffix, description, body)
        project.load_folder(refresh=True)
        return made
    numbers = [m.number for m in folder.migrations if m.number is not None]
    number = max(numbers) + 1 if numbers else 0
    width = max([4] + [len(m.prefix) for m in folder.migrations if m.prefix.isdigit()])
    tag = f"{number:0{width}d}_{suffix}"
    whens = [m.when for m in folder.migrations if m.when is not None]
    when = max([now_ms()] + [w + 1 for w in whens])
    created = dt.datetime.fromtimestamp(when / 1000, dt.UTC).strftime("%Y-%m-%d")
    what = description or suffix.replace("_", " ")
    sql = f"-- Migration: {tag}\n-- Created: {created}\n-- Description: {what}\n\n{body}"
    journal = folder.journal or Journal([])
    entry = JournalEntry(number, when, tag)
    new_journal = Journal([*journal.entries, entry], journal.version, journal.dialect, [], journal.extra)
    snaps = sorted((s for s in folder.snapshots if s.data is not None), key=lambda s: s.name)
    snapshot = custom_snapshot(snaps[-1].data if snaps else None)
    snap_name = f"meta/{tag.split('_', 1)[0]}_snapshot.json"
    writes = {
        f"{tag}.sql": sql.encode(),
        "meta/_journal.json": new_journal.dumps().encode(),
        snap_name: dumps_json(snapshot).encode(),
    }
    (folder.path / "meta").mkdir(parents=True, exist_ok=True)
    renumber_log.commit(folder.path, moves=[], writes=writes, deletes=[])
    project.load_folder(refresh=True)
    return NewMigration(tag, f"{tag}.sql", when, snap_name)


def _refuse_inconsistent(folder: Folder) -> None:
    if folder.journal and folder.journal.conflicted:
        raise InputError(
            f"{folder.journal_path}:{folder.journal.conflict_lines[0]}: git conflict markers; "
            "run `gtsd-tui renumber` first"
        )
    if folder.v1_dirs and folder.journal is not None:
        raise InputError(
            f"{folder.path}: v1 migration folders next to meta/_journal.json; run `npx drizzle-kit up` first"
        )
