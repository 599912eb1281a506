"""The renumber plan: make a folder consistent after a merge without changing any SQL byte.

Kept ("pinned") migrations never move: those applied in the connected database or present on
``--base``; with neither known, the longest consistent run of the journal. Every other migration
goes after the last kept one, in its original order: new number, ``idx`` and ``tag``, a ``when``
strictly above every kept one (and the database's newest ``created_at``), its snapshot renamed
and re-linked into one ``prevId`` chain. Orphan ``.sql`` files are registered the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gtsd_tui.core.merging.renumber_snapshots import Brought, build_chain
from gtsd_tui.core.merging.schema_findings import already_made
from gtsd_tui.core.merging.snapshot_merge import Clash
from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.migrations.journal import Journal, JournalEntry
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import EXIT_PROBLEMS, EXIT_USAGE, GtsdError


class RenumberBlocked(GtsdError):
    exit_code = EXIT_PROBLEMS


@dataclass
class Change:
    old_tag: str
    new_tag: str
    old_when: int | None
    new_when: int
    registered: bool  # an orphan .sql added to the journal

    def describe(self) -> str:
        parts = []
        if self.registered:
            parts.append("register in the journal")
        if self.old_tag != self.new_tag:
            parts.append(f"rename to {self.new_tag}")
        if self.old_when != self.new_when:
            parts.append(f"when {self.old_when} -> {self.new_when}")
        return f"{self.old_tag}: " + ", ".join(parts)


@dataclass
class RenumberPlan:
    changes: list[Change]
    kept: list[str]
    journal_text: str
    sql_moves: list[tuple[str, str]] = field(default_factory=list)  # relative paths
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    relinked: list[str] = field(default_factory=list)  # snapshot files whose prevId changes
    dropped: list[str] = field(default_factory=list)  # journal entries without a .sql (left out)
    brought: list[Brought] = field(default_factory=list)  # objects the snapshot merge adds
    clashes: list[tuple[str, Clash]] = field(default_factory=list)  # (file to edit, clash)
    carried: list[str] = field(default_factory=list)  # registered without a snapshot: previous one carried
    dangling: list[str] = field(default_factory=list)  # snapshots whose prevId names no snapshot
    unmergeable: list[str] = field(default_factory=list)  # snapshots that could not be merged, and why
    already_made: dict[str, list[str]] = field(default_factory=dict)  # orphan file -> objects that exist

    def clash_files(self) -> list[str]:
        """The moved migrations whose snapshot clashes: the files to edit."""
        return sorted({name for name, _ in self.clashes})

    @property
    def noop(self) -> bool:
        return not (self.sql_moves or self.writes or self.deletes)


def _consistent_prefix(folder: Folder) -> set[str]:
    keep: set[str] = set()
    prefixes: set[str] = set()
    last_when: int | None = None
    for m in folder.journal_migrations:
        if m.file is None or m.prefix in prefixes or (last_when is not None and (m.when or 0) <= last_when):
            break
        keep.add(m.tag)
        prefixes.add(m.prefix)
        last_when = m.when
    return keep


def _width(folder: Folder) -> int:
    widths = [len(m.prefix) for m in folder.migrations if m.prefix.isdigit()]
    return max([4, *widths]) if widths else 4


def plan_renumber(
    folder: Folder,
    *,
    pinned: set[str] | None,
    db_mark: int | None = None,
    now_ms: int,
    force: bool = False,
) -> RenumberPlan:
    if folder.layout != Layout.V0:
        raise GtsdError(
            f"{folder.path}: a drizzle v1 folder has no numbers to renumber; `gtsd-tui renumber` joins its "
            "commuting branches by re-parenting the later one",
            exit_code=EXIT_USAGE,
        )
    if folder.file_markers:
        name = sorted(folder.file_markers)[0]
        raise RenumberBlocked(
            f"{folder.path / name}:{folder.file_markers[name][0]}: git conflict markers in SQL; "
            "resolve the SQL by hand first (renumber never edits SQL)",
            exit_code=EXIT_USAGE,
        )
    if pinned is None:
        pinned = _consistent_prefix(folder)
    if force:
        pinned = set()
    kept = [m for m in folder.migrations if m.in_journal and m.tag in pinned and m.file is not None]
    _check_kept(folder, kept)
    movers = [m for m in folder.migrations if m not in kept and m.file is not None]
    movers.sort(
        key=lambda m: (m.number if m.number is not None else 1 << 60, 0 if m.in_journal else 1, m.position, m.tag)
    )
    kept_numbers = [m.number for m in kept if m.number is not None]
    next_number = max(kept_numbers) + 1 if kept_numbers else 0
    floor = max([m.when or 0 for m in kept] + [db_mark or 0])
    width = _width(folder)
    changes: list[Change] = []
    final: list[tuple[Migration, str, int, int]] = []  # migration, tag, when, idx
    for m in kept:
        final.append((m, m.tag, m.when or 0, m.idx if m.idx is not None else (m.number or 0)))
    for m in movers:
        tag = f"{next_number:0{width}d}_{m.suffix}" if m.number is not None else m.tag
        if m.when is not None and m.when > floor:
            when = m.when
        else:
            when = max(floor + 1, now_ms) if m.when is None else floor + 1
        floor = when
        final.append((m, tag, when, next_number))
        if tag != m.tag or when != m.when or not m.in_journal or m.idx != next_number:
            changes.append(Change(m.tag, tag, m.when, when, not m.in_journal))
        next_number += 1
    journal = _journal(folder, final)
    plan = RenumberPlan(changes, [m.tag for m in kept], journal.dumps())
    current = folder.journal_path.read_bytes() if folder.journal_path.exists() else None
    if current != plan.journal_text.encode():
        plan.writes["meta/_journal.json"] = plan.journal_text.encode()
    plan.sql_moves = [(m.file or "", f"{tag}.sql") for m, tag, _, _ in final if m.file != f"{tag}.sql"]
    dropped = [m for m in folder.journal_migrations if m.file is None]
    plan.dropped = [m.tag for m in dropped]
    chain = build_chain(folder, [(m, tag) for m, tag, _, _ in final], dropped)
    if chain.lost:
        raise RenumberBlocked(
            f"{folder.path / chain.lost[0].split(':')[0]}: renumber would replace this snapshot with one "
            f"lacking {chain.lost[0].split(': ', 1)[1]}; nothing written"
        )
    plan.writes.update(chain.writes)
    plan.deletes = chain.deletes
    plan.relinked = chain.relinked
    plan.brought, plan.clashes, plan.carried = chain.brought, chain.clashes, chain.carried
    plan.dangling, plan.unmergeable = chain.dangling, chain.unmergeable
    for m in movers:
        made = already_made(folder, m) if not m.in_journal else []
        if made:
            plan.already_made[m.file or m.tag] = made
    return plan


def _check_kept(folder: Folder, kept: list[Migration]) -> None:
    seen: dict[str, str] = {}
    last: Migration | None = None
    for m in kept:
        if m.prefix in seen:
            raise RenumberBlocked(
                f"{m.tag} and {seen[m.prefix]} are both applied (or on the base) and share a number; "
                "renumber cannot move an applied migration without --force"
            )
        seen[m.prefix] = m.tag
        if last is not None and (m.when or 0) <= (last.when or 0):
            raise RenumberBlocked(
                f"{m.tag} and {last.tag} are both applied (or on the base) with when out of order; "
                "use --force to re-stamp anyway (drizzle-orm may run it again elsewhere)"
            )
        last = m


def _journal(folder: Folder, final: list[tuple[Migration, str, int, int]]) -> Journal:
    old = {e.tag: e for e in (folder.journal.entries if folder.journal else [])}
    entries = []
    for m, tag, when, idx in final:
        e = old.get(m.tag)
        if e is not None and tag == m.tag and when == e.when:
            entries.append(JournalEntry(e.idx, e.when, e.tag, e.version, e.breakpoints, None, e.extra))
        else:
            version = e.version if e else "7"
            entries.append(
                JournalEntry(idx, when, tag, version, e.breakpoints if e else True, None, e.extra if e else ())
            )
    j = folder.journal
    return Journal(entries, j.version if j else "7", j.dialect if j else "postgresql", [], j.extra if j else {})
