"""Status: which migration is applied, edited, pending, silently skipped, or broken.

Rows are matched to journal entries first by ``created_at == when``, then by hash; the
high-water mark is used only to tell *pending* (drizzle-orm would run it) from
*out-of-order* (drizzle-orm would skip it forever).
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum

from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.record import FrozenRecord, Record
from gtsd_tui.core.vocab import Layout

TYPE_CHECKING = False  # (typing is not imported at start-up)
if TYPE_CHECKING:  # drizzle 1.0's table upgrade loads with a v1 folder (not on a v0 folder's paths)
    from gtsd_tui.core.drizzle_v1.v1 import TableUpgrade


class MigrationState(StrEnum):
    """A migration of the folder against the database's rows (a word of the project's: ``core/vocab.py``)."""

    APPLIED = "applied"
    MODIFIED = "modified"  # applied, and the file changed since (hash differs)
    PENDING = "pending"
    OUT_OF_ORDER = "out-of-order"  # pending, but drizzle-orm would skip it (when <= newest created_at)
    MISSING_FILE = "missing-file"  # in the journal, no file
    NOT_IN_JOURNAL = "not-in-journal"  # a file the journal does not list


# the states by their short names (what most of the code compares with)
APPLIED = MigrationState.APPLIED
MODIFIED = MigrationState.MODIFIED
PENDING = MigrationState.PENDING
OUT_OF_ORDER = MigrationState.OUT_OF_ORDER
MISSING_FILE = MigrationState.MISSING_FILE
NOT_IN_JOURNAL = MigrationState.NOT_IN_JOURNAL

STATES = (APPLIED, MODIFIED, PENDING, OUT_OF_ORDER, MISSING_FILE, NOT_IN_JOURNAL)
GLYPHS = {
    APPLIED: "✓",
    MODIFIED: "≠",
    PENDING: "•",
    OUT_OF_ORDER: "↯",
    MISSING_FILE: "?",
    NOT_IN_JOURNAL: "+",
}
PROBLEM_STATES = (MODIFIED, OUT_OF_ORDER, MISSING_FILE, NOT_IN_JOURNAL)


class HistoryRow(FrozenRecord):
    _fields = ("id", "hash", "created_at", "name", "applied_at", "legacy")

    id: int
    hash: str
    created_at: int | None
    name: str | None  # only in drizzle v1 tables
    applied_at: int | None  # ms; only in drizzle v1 tables (NULL for rows the v1 upgrade named)
    legacy: bool  # read from a table without a name column (drizzle v0's)

    def __init__(
        self,
        id: int,
        hash: str,
        created_at: int | None,
        name: str | None = None,
        applied_at: int | None = None,
        legacy: bool = False,
    ) -> None:
        self.id = id
        self.hash = hash
        self.created_at = created_at
        self.name = name
        self.applied_at = applied_at
        self.legacy = legacy


class MigrationStatus(Record):
    _fields = ("migration", "state", "row", "restamped", "notes")

    migration: Migration
    state: MigrationState
    row: HistoryRow | None
    restamped: bool
    notes: list[str]

    def __init__(
        self,
        migration: Migration,
        state: MigrationState,
        row: HistoryRow | None = None,
        restamped: bool = False,
        notes: list[str] | None = None,
    ) -> None:
        self.migration = migration
        self.state = state
        self.row = row
        self.restamped = restamped
        self.notes = [] if notes is None else notes

    @property
    def glyph(self) -> str:
        return GLYPHS[self.state]

    @property
    def label(self) -> str:
        return "re-stamped" if self.restamped else self.state


class StatusReport(Record):
    _fields = ("items", "unknown_rows", "mark", "warnings", "upgrade")

    items: list[MigrationStatus]
    unknown_rows: list[HistoryRow]
    mark: int | None  # what drizzle-orm compares against: created_at of its "last" row
    warnings: list[str]
    upgrade: TableUpgrade | None  # v1 folder, v0 table: what drizzle-orm 1.0 does to it first

    def __init__(
        self,
        items: list[MigrationStatus],
        unknown_rows: list[HistoryRow],
        mark: int | None,
        warnings: list[str] | None = None,
        upgrade: TableUpgrade | None = None,
    ) -> None:
        self.items = items
        self.unknown_rows = unknown_rows
        self.mark = mark
        self.warnings = [] if warnings is None else warnings
        self.upgrade = upgrade

    def in_state(self, *states: str) -> list[MigrationStatus]:
        return [s for s in self.items if s.state in states]

    @property
    def pending(self) -> list[MigrationStatus]:
        return self.in_state(PENDING)

    @property
    def all_applied(self) -> bool:
        return all(s.state == APPLIED for s in self.items) and not self.unknown_rows


def drizzle_mark(rows: list[HistoryRow]) -> int | None:
    """drizzle-orm's ``order by created_at desc limit 1`` (NULLs first; ``Number(null)`` is 0)."""
    if not rows:
        return None
    if any(r.created_at is None for r in rows):
        return 0
    return max(r.created_at for r in rows if r.created_at is not None)


def compute_status(folder: Folder, rows: list[HistoryRow]) -> StatusReport:
    if folder.layout == Layout.V1:
        return _status_v1(folder, rows)
    by_when: dict[int, list[HistoryRow]] = defaultdict(list)
    for r in rows:
        if r.created_at is not None:
            by_when[r.created_at].append(r)
    used: set[int] = set()
    items: list[MigrationStatus] = []
    unmatched: list[MigrationStatus] = []
    for m in folder.migrations:
        if not m.in_journal:
            items.append(
                MigrationStatus(m, NOT_IN_JOURNAL, notes=["not in meta/_journal.json: drizzle-orm never runs it"])
            )
            continue
        candidates = by_when.get(m.when, []) if m.when is not None else []
        same = [r for r in candidates if r.hash == m.hash and r.id not in used]
        other = [r for r in candidates if r.id not in used]
        if m.file is None:
            hit = (same or other)[0] if (same or other) else None
            if hit:
                used.add(hit.id)
            items.append(
                MigrationStatus(m, MISSING_FILE, hit, notes=[f"{m.tag}.sql is listed in the journal but missing"])
            )
        elif same:
            used.update(r.id for r in same)
            st = MigrationStatus(m, APPLIED, same[0])
            if len(same) > 1:
                st.notes.append(f"{len(same)} identical rows (concurrent drizzle-orm runs)")
            items.append(st)
        elif other:
            used.add(other[0].id)
            items.append(
                MigrationStatus(m, MODIFIED, other[0], notes=["file edited after it was applied (hash differs)"])
            )
        else:
            st = MigrationStatus(m, PENDING)
            items.append(st)
            unmatched.append(st)
    # Second pass: a row with this file's hash under another `when` = the entry was re-stamped.
    by_hash: dict[str, list[HistoryRow]] = defaultdict(list)
    for r in rows:
        if r.id not in used:
            by_hash[r.hash].append(r)
    for st in unmatched:
        found = [r for r in by_hash.get(st.migration.hash or "", []) if r.id not in used]
        if found:
            used.update(r.id for r in found)
            st.state, st.row, st.restamped = APPLIED, found[0], True
            st.notes.append(
                f"applied with created_at {found[0].created_at} but the journal now says {st.migration.when}: "
                "drizzle-orm may run it again"
            )
    mark = drizzle_mark(rows)
    for st in unmatched:
        when = st.migration.when
        if st.state == PENDING and mark is not None and when is not None and when <= mark:
            st.state = OUT_OF_ORDER
            st.notes.append(f"when {when} <= newest created_at {mark}: drizzle-orm would skip it silently")
    report = StatusReport(items, [r for r in rows if r.id not in used], mark)
    _warnings(report, rows)
    return report


def _warnings(report: StatusReport, rows: list[HistoryRow]) -> None:
    if any(r.created_at is None for r in rows):
        report.warnings.append("a row has created_at NULL: drizzle-orm will try to re-apply every migration")
    for st in report.items:
        if st.restamped:
            report.warnings.append(f"{st.migration.tag}: re-stamped after it was applied; drizzle-orm may run it again")
        d = st.migration.digest
        if d and d.has_bom and st.state in (PENDING, OUT_OF_ORDER):
            report.warnings.append(f"{st.migration.file}: starts with a UTF-8 BOM, which PostgreSQL rejects")


def _status_v1(folder: Folder, rows: list[HistoryRow]) -> StatusReport:
    """drizzle-orm 1.0: pending = folders whose name is in no row's ``name`` (NULL names ignored)."""
    upgrade = None
    if any(r.legacy for r in rows):
        from gtsd_tui.core.drizzle_v1.v1 import plan_upgrade, upgraded_rows

        upgrade = plan_upgrade(folder, rows)
        rows = upgraded_rows(rows, upgrade)
    by_name: dict[str, HistoryRow] = {}
    for r in rows:
        if r.name is not None:
            by_name.setdefault(r.name, r)
    used: set[int] = set()
    items: list[MigrationStatus] = []
    for m in folder.migrations:
        row = by_name.get(m.tag)
        if row is None:
            items.append(MigrationStatus(m, PENDING))
            continue
        used.add(row.id)
        if row.hash == m.hash:
            items.append(MigrationStatus(m, APPLIED, row))
        else:
            items.append(MigrationStatus(m, MODIFIED, row, notes=["file edited after it was applied (hash differs)"]))
    report = StatusReport(items, [r for r in rows if r.id not in used], drizzle_mark(rows), upgrade=upgrade)
    if upgrade is not None:
        if upgrade.possible:
            report.warnings.append(
                f"the tracking table has no name column (drizzle v0): migrate first upgrades it as drizzle-orm "
                f"1.0 does (adds name and applied_at, names {len(upgrade.names)} row(s))"
            )
        else:
            report.warnings.append(upgrade.refusal("the tracking table"))
    nameless = [r for r in rows if r.name is None]
    if nameless and upgrade is None:
        ids = ", ".join(str(r.id) for r in nameless)
        report.warnings.append(
            f"{len(nameless)} row(s) without a name (ids: {ids}): drizzle-orm 1.0 ignores them "
            "(written by a v0 migrator after the table was upgraded?)"
        )
    return report
