"""The apply plan: which migrations run, in what order, in which transaction, writing which row.

Built from a status report before any SQL runs, so every refusal happens with nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from gtsd_tui.core.drizzle_v1.v1 import TableUpgrade
from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.migrations.hashing import Chunk, digest_bytes, drizzle_text, split_chunks
from gtsd_tui.core.migrations.modes import TxMode
from gtsd_tui.core.migrations.status import MODIFIED, OUT_OF_ORDER, PENDING, MigrationState, StatusReport
from gtsd_tui.core.sql.sqlinfo import analyse_chunk
from gtsd_tui.core.sql.txcontrol import ends_transaction
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import EXIT_PROBLEMS, EXIT_USAGE
from gtsd_tui.errors import PlanRefused as PlanRefused  # raised here; callers name it from the plan

PER_FILE = TxMode.PER_FILE
ALL = TxMode.ALL


@dataclass
class Step:
    migration: Migration
    text: str
    chunks: list[Chunk]
    transactional: bool  # False: every chunk runs in autocommit, the row is written after
    non_tx: list[tuple[str, int]] = field(default_factory=list)  # (reason, offset in file text)
    name: str | None = None  # drizzle v1: the folder name written to the row's ``name``

    @property
    def row(self) -> tuple[str, int]:
        assert self.migration.hash is not None and self.migration.when is not None
        return self.migration.hash, self.migration.when

    @cached_property
    def ends_own_transaction(self) -> bool:
        """The migration ends the transaction it runs in (its own ``COMMIT``, ``ROLLBACK``, ...): drizzle-orm
        sends each chunk alone, so each chunk after it runs and commits on its own; in one query they would
        share its implicit transaction, and a later error would undo them too. Such a migration goes chunk
        by chunk, as drizzle-orm sends it; under a transaction pooler it ends the migration lock too."""
        return any(ends_transaction(c.text) for c in self.chunks)


@dataclass
class ApplyPlan:
    steps: list[Step]
    tx_mode: TxMode
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # tags left for later by --to
    upgrade: TableUpgrade | None = None  # v1 folder, v0 table: drizzle-orm 1.0's upgrade runs first

    @property
    def empty(self) -> bool:
        return not self.steps


def _where(folder: Folder, m: Migration, text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{folder.path / (m.file or m.tag)}:{line}:{col}"


def build_plan(
    folder: Folder,
    report: StatusReport,
    *,
    tx_mode: TxMode = PER_FILE,
    to_tag: str | None = None,
    allow_out_of_order: bool = False,
    read: bool = True,
    cache: dict[tuple[str, str | None], Step] | None = None,
) -> ApplyPlan:
    """Raise PlanRefused (nothing run) or return the steps; ``read=False`` skips reading files.

    ``cache`` keeps the steps of an earlier plan of the same folder (keyed by tag and hash), so a plan
    made again under the lock does not read and parse the same files twice."""
    if folder.journal and folder.journal.conflicted:
        raise PlanRefused(
            f"{folder.journal_path}:{folder.journal.conflict_lines[0]}: git conflict markers; "
            "resolve first (gtsd-tui renumber)",
            exit_code=EXIT_USAGE,
        )
    states = {PENDING, OUT_OF_ORDER} if allow_out_of_order else {PENDING}
    warnings = [f"{s.migration.tag}: modified after it was applied (hash differs)" for s in report.in_state(MODIFIED)]
    ooo = report.in_state(OUT_OF_ORDER)
    if ooo and not allow_out_of_order:
        tags = ", ".join(s.migration.tag for s in ooo)
        raise PlanRefused(
            f"out-of-order: {tags} has a `when` at or below the newest applied created_at "
            f"({report.mark}); drizzle-orm would skip it silently. Apply it anyway with --allow-out-of-order, "
            "or re-stamp it after the applied ones with `gtsd-tui renumber`",
            exit_code=EXIT_PROBLEMS,
        )
    todo = [s for s in report.items if s.state in states]
    if to_tag is not None:
        all_tags = [s.migration.tag for s in report.items]
        if to_tag not in all_tags:
            raise PlanRefused(f"--to {to_tag}: no such migration", exit_code=EXIT_USAGE)
        limit = all_tags.index(to_tag)
        skipped = [s.migration.tag for s in todo if report.items.index(s) > limit]
        todo = [s for s in todo if report.items.index(s) <= limit]
    else:
        skipped = []
    missing = [s.migration.tag for s in report.items if s.state == MigrationState.MISSING_FILE]
    if missing and todo:
        raise PlanRefused(
            f"{folder.path}: journal lists {', '.join(missing)} but the .sql file is missing", exit_code=EXIT_USAGE
        )
    if folder.layout == Layout.V1:
        from gtsd_tui.core.drizzle_v1.v1_check import refuse_v1

        warnings += refuse_v1(folder, report, [s.migration for s in todo])
    steps = [
        _cached_step(folder, s.migration, tx_mode, cache) if read else Step(s.migration, "", [], True) for s in todo
    ]
    if folder.layout == Layout.V1:
        for step in steps:
            step.name = step.migration.tag
    return ApplyPlan(steps, tx_mode, warnings, skipped, report.upgrade)


def _cached_step(
    folder: Folder, m: Migration, tx_mode: TxMode, cache: dict[tuple[str, str | None], Step] | None
) -> Step:
    if cache is None:
        return step_for(folder, m, tx_mode)
    key = (m.tag, m.hash)
    if key not in cache:
        cache[key] = step_for(folder, m, tx_mode)
    return cache[key]


def step_for(folder: Folder, m: Migration, tx_mode: TxMode) -> Step:
    raw = folder.read_bytes(m)
    path = folder.path / (m.file or "")
    digest = digest_bytes(raw)
    if m.digest is not None and digest.hash != m.digest.hash:  # the row must name these bytes
        raise PlanRefused(f"{path}: changed on disk while the plan was being made; run the command again")
    if digest.utf8_error_at is not None:
        raise PlanRefused(f"{path}: not valid UTF-8 at byte {digest.utf8_error_at}", exit_code=EXIT_USAGE)
    if digest.has_bom:
        raise PlanRefused(
            f"{path}:1:1: starts with a UTF-8 BOM, which PostgreSQL rejects; save it without BOM", exit_code=EXIT_USAGE
        )
    text = drizzle_text(raw)
    chunks = split_chunks(text)
    non_tx: list[tuple[str, int]] = []
    tx_chunks = 0
    for chunk in chunks:
        if chunk.is_blank:
            continue
        info = analyse_chunk(chunk.text)
        non_tx += [(reason, chunk.offset + off) for reason, off in info.non_tx]
        if info.syntax is not None or info.statements > len(info.non_tx):
            tx_chunks += 1
        elif len(info.non_tx) > 1:
            reason, off = info.non_tx[1]
            raise PlanRefused(
                f"{_where(folder, m, text, chunk.offset + off)}: {reason} shares a chunk with another statement; "
                "PostgreSQL runs a multi-statement query in one transaction. Put a `--> statement-breakpoint` "
                "between them",
                exit_code=EXIT_USAGE,
            )
    if not non_tx:
        return Step(m, text, chunks, True)
    reason, off = non_tx[0]
    where = _where(folder, m, text, off)
    if tx_mode == ALL:
        raise PlanRefused(
            f"{where}: {reason} cannot run inside a transaction block, and --tx all runs everything in one. "
            "Use --tx per-file (the default)",
            exit_code=EXIT_USAGE,
        )
    if tx_chunks:
        raise PlanRefused(
            f"{where}: {reason} cannot run inside a transaction block, and this migration mixes it with other "
            "statements. Split the file: move it to a migration of its own (gtsd-tui new NAME)",
            exit_code=EXIT_USAGE,
        )
    return Step(m, text, chunks, False, non_tx)
