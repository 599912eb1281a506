"""``check`` findings and ``migrate`` refusals for Drizzle v1 folders (forks, conflicts, layout)."""

from __future__ import annotations

from gtsd_tui.core.drizzle_v1.v1 import V1Snapshot, read_v1_snapshots
from gtsd_tui.core.findings import ERROR, WARNING, Finding
from gtsd_tui.core.merging.forks import Conflict, ForkReport, analyse, origin_label
from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import EXIT_PROBLEMS, EXIT_USAGE, PlanRefused

TYPE_CHECKING = False  # (typing is not imported at start-up: a 1.0 folder's check is a hook's run too)
if TYPE_CHECKING:
    from gtsd_tui.core.migrations.status import StatusReport

FIX_CONFLICT = (
    "keep one branch: move the other branch's change into a new migration after it "
    "(or `drizzle-kit generate --fix-conflicts`, which deletes the conflicting branches)"
)
FIX_FORK = "gtsd-tui renumber (re-parents the later branch), or drizzle-kit generate (writes a merge snapshot)"


def fork_report(folder: Folder) -> ForkReport:
    return analyse(read_v1_snapshots(folder))


def sql_conflicts(folder: Folder, snaps: list[V1Snapshot], report: ForkReport) -> list[Conflict]:
    """Conflicts drizzle-kit cannot see: a custom migration's SQL (read with pglast) meets the other branch."""
    if not report.forks or not any(s.custom and not s.footprints for s in snaps):
        return []
    from gtsd_tui.core.migrations.hashing import drizzle_text
    from gtsd_tui.core.sql.sql_footprints import sql_footprints

    def with_sql(s: V1Snapshot) -> V1Snapshot:
        if not s.custom or s.footprints:
            return s
        raw = (folder.path / s.folder / "migration.sql").read_bytes()
        return s.replaced(footprints=tuple(sql_footprints(drizzle_text(raw))))

    seen = {frozenset((c.a.leaf, c.b.leaf)) for c in report.conflicts}
    return [c for c in analyse([with_sql(s) for s in snaps]).conflicts if frozenset((c.a.leaf, c.b.leaf)) not in seen]


def conflict_message(report: ForkReport) -> list[str]:
    out = []
    for c in report.conflicts:
        out.append(
            f"{c.a.source} ({c.a.description}) and {c.b.source} ({c.b.description}) change the same object "
            f"on two branches from {origin_label(c.parent)}; drizzle-kit check: Conflicting migrations detected"
        )
    return out


def v1_findings(folder: Folder) -> list[Finding]:
    """Findings of a v1 folder; a v0 folder holding v1 migration folders is refused by drizzle 1.0."""
    if folder.layout != Layout.V1:
        if folder.v1_dirs and folder.journal is not None:
            return [
                Finding(
                    "mixed-layout",
                    ERROR,
                    tuple(f"{d}/migration.sql" for d in folder.v1_dirs),
                    "v1 migration folders next to meta/_journal.json: drizzle-orm 0.x never runs them and "
                    "drizzle-orm 1.0 refuses the folder until `drizzle-kit up`",
                    "npx drizzle-kit up (converts the journal entries to folders)",
                )
            ]
        return []
    out: list[Finding] = []
    snaps = read_v1_snapshots(folder)
    have = {s.folder for s in snaps}
    for m in folder.migrations:
        if m.when is None:
            out.append(
                Finding(
                    "folder-name",
                    ERROR,
                    (f"{m.tag}/migration.sql",),
                    "the folder name does not start with a valid UTC YYYYMMDDHHMMSS: drizzle-orm 1.0 inserts "
                    "created_at NaN and its whole batch fails",
                    "rename the folder <YYYYMMDDHHMMSS>_<name>",
                )
            )
        if m.tag not in have:
            out.append(
                Finding(
                    "snapshot-missing",
                    WARNING,
                    (f"{m.tag}/snapshot.json",),
                    "no snapshot.json: drizzle-kit cannot place this migration in the snapshot graph",
                    "gtsd-tui new writes one (generate --custom does too)",
                )
            )
    for s in snaps:
        if s.error:
            out.append(Finding("snapshot-invalid", ERROR, (f"{s.folder}/snapshot.json",), s.error))
    report = analyse(snaps)
    conflicted = {frozenset((c.a.leaf, c.b.leaf)) for c in report.conflicts}
    for c, msg in zip(report.conflicts, conflict_message(report), strict=True):
        out.append(
            Finding(
                "schema-conflict",
                ERROR,
                (f"{c.a.source}/migration.sql", f"{c.b.source}/migration.sql"),
                msg,
                FIX_CONFLICT,
            )
        )
    hidden = sql_conflicts(folder, snaps, report)
    for c in hidden:
        conflicted.add(frozenset((c.a.leaf, c.b.leaf)))
        out.append(
            Finding(
                "overlap",
                WARNING,
                (f"{c.a.source}/migration.sql", f"{c.b.source}/migration.sql"),
                f"{c.a.source} ({c.a.description}) and {c.b.source} ({c.b.description}) touch the same object on "
                f"two branches from {origin_label(c.parent)}; drizzle-kit check does not see it (hand-written SQL "
                "has no footprints), drizzle-orm applies both in folder-name order",
                "check the two changes apply in that order, or join the branches by hand",
            )
        )
    for f in report.forks:
        if frozenset(f.leaves) in conflicted:
            continue
        out.append(
            Finding(
                "fork",
                WARNING,
                tuple(f"{leaf}/snapshot.json" for leaf in f.leaves),
                f"{' -> '.join(f.branches[0])} and {' -> '.join(f.branches[1])} both continue from "
                f"{origin_label(f.parent)} (prevIds); the branches commute (drizzle-kit check passes) and "
                "drizzle-orm applies both in folder-name order",
                FIX_FORK,
            )
        )
    return out


def refuse_v1(folder: Folder, status: StatusReport, todo: list[Migration]) -> list[str]:
    """Raise PlanRefused (nothing run) where drizzle 1.0 would fail or refuse; else the warnings."""
    if status.upgrade is not None and not status.upgrade.possible:
        raise PlanRefused(status.upgrade.refusal("the tracking table"), exit_code=EXIT_PROBLEMS)
    bad = [m.tag for m in todo if m.when is None]
    if bad:
        raise PlanRefused(
            f"{folder.path / bad[0]}: the folder name does not start with a valid UTC YYYYMMDDHHMMSS; "
            "drizzle-orm 1.0 would insert created_at NaN",
            exit_code=EXIT_USAGE,
        )
    report = refuse_conflicts(folder) if todo else fork_report(folder)
    warnings = list(status.warnings)  # the table upgrade to come, rows without a name
    for c in sql_conflicts(folder, read_v1_snapshots(folder), report):
        warnings.append(
            f"overlap: {c.a.source} ({c.a.description}) and {c.b.source} ({c.b.description}) touch the same "
            "object on two branches (hand-written SQL, not seen by drizzle-kit); applied in folder-name order"
        )
    for f in report.forks:
        warnings.append(
            f"fork: {f.leaves[0]} and {f.leaves[1]} both continue from {origin_label(f.parent)}; "
            "the branches commute, applied in drizzle's order (folder names)"
        )
    return warnings


def refuse_conflicts(folder: Folder) -> ForkReport:
    """Raise PlanRefused when branches do not commute (as ``drizzle-kit migrate`` refuses); else the report.
    Called before the first statement, so a refused migrate leaves the database untouched."""
    report = fork_report(folder)
    if report.conflicts:
        raise PlanRefused(
            "schema-conflict: " + "; ".join(conflict_message(report)) + ". Nothing was applied",
            exit_code=EXIT_PROBLEMS,
        )
    return report
