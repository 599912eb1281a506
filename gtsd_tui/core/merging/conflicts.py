"""``check``: findings about a migrations folder (offline) and, when given, the database status."""

from __future__ import annotations

from collections import defaultdict

from gtsd_tui.core.findings import ERROR as ERROR
from gtsd_tui.core.findings import WARNING as WARNING
from gtsd_tui.core.findings import Finding as Finding
from gtsd_tui.core.merging.schema_findings import already_made, fork_findings, snapshot_findings
from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.core.migrations.hashing import NUL_MESSAGE
from gtsd_tui.core.migrations.preflight import when_problem
from gtsd_tui.core.migrations.status import MODIFIED, OUT_OF_ORDER, StatusReport
from gtsd_tui.core.record import Record
from gtsd_tui.core.vocab import Layout

RENUMBER = "gtsd-tui renumber"


class CheckReport(Record):
    _fields = ("findings", "base_labels")

    findings: list[Finding]
    base_labels: dict[str, str]  # tag -> "base" / "branch"

    def __init__(self, findings: list[Finding] | None = None, base_labels: dict[str, str] | None = None) -> None:
        self.findings = [] if findings is None else findings
        self.base_labels = {} if base_labels is None else base_labels

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}


def check_folder(folder: Folder) -> list[Finding]:
    out: list[Finding] = []
    meta = "meta/"
    if folder.journal and folder.journal.conflicted:
        line = folder.journal.conflict_lines[0]
        out.append(
            Finding(
                "merge-markers",
                ERROR,
                (f"{meta}_journal.json",),
                f"git conflict markers in the journal (line {line}); drizzle-orm cannot parse it",
                RENUMBER,
            )
        )
    marked = sorted({s.name for s in folder.snapshots if s.conflict_lines})
    for name in marked:
        out.append(Finding("merge-markers", ERROR, (meta + name,), "git conflict markers in the snapshot", RENUMBER))
    for fname, lines in sorted(folder.file_markers.items()):
        out.append(
            Finding(
                "merge-markers",
                ERROR,
                (fname,),
                f"git conflict markers in SQL (line {lines[0]}); resolve the SQL by hand",
            )
        )
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for m in folder.migrations:
        if m.prefix.isdigit():
            by_prefix[m.prefix].append(m.file or f"{m.tag}.sql")
    for prefix, files in sorted(by_prefix.items()):
        if len(files) > 1:
            out.append(
                Finding("duplicate-prefix", ERROR, tuple(files), f"{len(files)} migrations numbered {prefix}", RENUMBER)
            )
    for m in folder.migrations:
        if not m.in_journal:
            out.append(
                Finding(
                    "not-in-journal",
                    ERROR,
                    (m.file or "",),
                    "not in meta/_journal.json: drizzle-orm never runs it",
                    RENUMBER,
                )
            )
        elif m.file is None:
            out.append(
                Finding(
                    "missing-file",
                    ERROR,
                    (f"{m.tag}.sql",),
                    f"the journal lists {m.tag} but {m.tag}.sql does not exist",
                    "restore the file, or remove the entry (drizzle-orm throws before migrating)",
                )
            )
        if m.digest and m.digest.utf8_error_at is not None:
            out.append(
                Finding(
                    "not-utf8",
                    ERROR,
                    (m.file or "",),
                    f"not valid UTF-8 at byte {m.digest.utf8_error_at}",
                    "save the file as UTF-8",
                )
            )
        if m.digest and m.digest.has_bom:
            out.append(
                Finding(
                    "bom",
                    WARNING,
                    (m.file or "",),
                    "starts with a UTF-8 BOM, which PostgreSQL rejects",
                    "save the file without BOM",
                )
            )
    out += _input_findings(folder)
    out += _journal_order(folder)
    if folder.layout == Layout.V0:
        out += _snapshots(folder)
        out = _refine_orphans(folder, out)
        out += [Finding(**f) for f in snapshot_findings(folder) + fork_findings(folder)]
    if folder.layout == Layout.V1 or folder.v1_dirs:  # v1 folders: forks, schema conflicts, layout
        from gtsd_tui.core.drizzle_v1.v1_check import v1_findings

        out += v1_findings(folder)
    return out


def _refine_orphans(folder: Folder, found: list[Finding]) -> list[Finding]:
    """An unjournaled file whose objects already exist in the last snapshot: deleting it is the fix."""
    out = []
    orphans = {m.file: m for m in folder.migrations if not m.in_journal}
    for f in found:
        m = orphans.get(f.files[0]) if f.code == "not-in-journal" else None
        made = already_made(folder, m) if m is not None else []
        if made:
            f = Finding(
                f.code,
                f.severity,
                f.files,
                f"{f.message}; and every object it creates already exists in the last snapshot "
                f"({', '.join(made[:4])}{', ...' if len(made) > 4 else ''}): a later migration made this change, "
                "so registering it would fail on every up-to-date database",
                f"delete {f.files[0]}",
            )
        out.append(f)
    return out


def _input_findings(folder: Folder) -> list[Finding]:
    """NUL bytes, a `when` drizzle-orm cannot record, links out of the folder (see core.preflight)."""
    out: list[Finding] = []
    for m in folder.migrations:
        if m.digest and m.digest.nul_at:
            line, col = m.digest.nul_at
            out.append(Finding("nul-byte", ERROR, (m.file or "",), f"{line}:{col}: {NUL_MESSAGE}"))
        if m.in_journal and m.when is not None and (why := when_problem(m.when)):
            out.append(
                Finding("when-range", ERROR, (f"{m.tag}.sql",), why, "give it a `when` in milliseconds (Date.now())")
            )
    for f, real in sorted(folder.links_outside.items()):
        out.append(
            Finding(
                "symlink-outside",
                WARNING,
                (f,),
                f"a symbolic link to {real}, outside the migrations folder; migrate refuses it",
                "copy the file into the folder, or pass --allow-symlinks to migrate",
            )
        )
    return out


def _journal_order(folder: Folder) -> list[Finding]:
    out: list[Finding] = []
    entries = folder.journal.entries if folder.journal else []
    seen_idx: dict[int, str] = {}
    prev_idx: int | None = None
    prev_when: tuple[int, str] | None = None
    for e in entries:
        if e.idx in seen_idx:
            out.append(
                Finding(
                    "journal-idx", ERROR, (f"{e.tag}.sql",), f"idx {e.idx} is used by {seen_idx[e.idx]} too", RENUMBER
                )
            )
        elif prev_idx is not None and e.idx < prev_idx:
            out.append(
                Finding("journal-idx", ERROR, (f"{e.tag}.sql",), f"idx {e.idx} comes after idx {prev_idx}", RENUMBER)
            )
        elif prev_idx is not None and e.idx > prev_idx + 1:
            out.append(
                Finding(
                    "journal-idx",
                    WARNING,
                    (f"{e.tag}.sql",),
                    f"idx jumps from {prev_idx} to {e.idx} (a dropped migration?)",
                )
            )
        prefix = e.tag.split("_", 1)[0]
        if prefix.isdigit() and len(prefix) <= 5 and int(prefix) != e.idx:
            out.append(
                Finding(
                    "journal-idx",
                    WARNING,
                    (f"{e.tag}.sql",),
                    f"idx {e.idx} differs from the tag's number {prefix}; drizzle-kit numbers the next "
                    "migration from idx",
                    RENUMBER,
                )
            )
        seen_idx.setdefault(e.idx, e.tag)
        prev_idx = e.idx if prev_idx is None else max(prev_idx, e.idx)
        if prev_when is not None and e.when <= prev_when[0]:
            out.append(
                Finding(
                    "when-order",
                    ERROR,
                    (f"{e.tag}.sql",),
                    f"when {e.when} is not above {prev_when[1]}'s {prev_when[0]}: once that one is "
                    "applied, drizzle-orm skips this one silently",
                    RENUMBER,
                )
            )
        if prev_when is None or e.when > prev_when[0]:
            prev_when = (e.when, e.tag)
    return out


def _snapshots(folder: Folder) -> list[Finding]:
    out: list[Finding] = []
    by_prev: dict[str, list[str]] = defaultdict(list)
    for s in folder.snapshots:
        if s.prev_id is not None:
            label = s.name + (f" ({s.side})" if s.side else "")
            by_prev[s.prev_id].append(label)
        elif s.error and not s.conflict_lines:
            out.append(Finding("snapshot-invalid", ERROR, ("meta/" + s.name,), s.error))
    for prev, names in by_prev.items():
        if len(names) > 1:
            out.append(
                Finding(
                    "snapshot-fork",
                    ERROR,
                    tuple("meta/" + n.split(" ")[0] for n in names),
                    f"{', '.join(names)} share prevId {prev[:8]}...: drizzle-kit check calls this a collision",
                    RENUMBER,
                )
            )
    prefixes = {s.prefix for s in folder.snapshots}
    for m in folder.journal_migrations:
        if m.prefix not in prefixes:
            out.append(
                Finding(
                    "snapshot-missing",
                    WARNING,
                    (f"meta/{m.prefix}_snapshot.json",),
                    f"{m.tag} has no snapshot: drizzle-kit drop throws and drizzle-kit up refuses",
                    RENUMBER,
                )
            )
    return out


def check_database(report: StatusReport) -> list[Finding]:
    out: list[Finding] = []
    for s in report.in_state(OUT_OF_ORDER):
        out.append(
            Finding(
                "out-of-order",
                ERROR,
                (s.migration.file or "",),
                f"not applied, and its when {s.migration.when} is at or below the newest created_at "
                f"{report.mark}: drizzle-orm skips it silently",
                RENUMBER,
            )
        )
    for s in report.in_state(MODIFIED):
        out.append(
            Finding(
                "modified",
                ERROR,
                (s.migration.file or "",),
                "edited after it was applied: the database ran another version of this file",
                "restore the applied version (git) and put the change in a new migration",
            )
        )
    for r in report.unknown_rows:
        out.append(
            Finding(
                "unknown-row",
                WARNING,
                (),
                f"row id {r.id} (created_at {r.created_at}, hash {r.hash[:12]}) matches no migration in the folder",
            )
        )
    for s in report.items:
        if s.restamped:
            when, mark = s.migration.when, report.mark
            if when is not None and mark is not None and when > mark:  # drizzle-orm runs what is after its mark
                applied = s.row.created_at if s.row is not None else None
                message = (
                    f"applied with created_at {applied} but the journal now says {when}, after the newest "
                    f"created_at {mark}: drizzle-orm will run it again"
                )
                hint = f"put back when {applied} for this entry in meta/_journal.json"
                out.append(Finding("re-stamped", ERROR, (s.migration.file or "",), message, hint))
            else:
                out.append(Finding("re-stamped", WARNING, (s.migration.file or "",), s.notes[-1]))
    return out
