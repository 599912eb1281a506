"""The data preflight use case: what the pending migrations will do to the rows already there.

Shared by ``gtsd-tui preflight``, ``migrate`` (the apply use case runs it before the first statement
when ``ApplyRequest.preflight_timeout`` is set), ``rehearse --json`` and ``fleet migrate --preflight``.
Not the folder refusals of :mod:`gtsd_tui.core.migrations.preflight` (which need no database): this reads the
target's rows, read-only (:mod:`gtsd_tui.db.data_probe`), for the checks
:mod:`gtsd_tui.core.data.data_rules` derives from the pending statements' parse trees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, GtsdError
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from pathlib import Path

    from gtsd_tui.core.data.data_checks import Check
    from gtsd_tui.core.migrations.plan import Step
    from gtsd_tui.db.data_probe import Outcome

DEFAULT_TIMEOUT = "5s"
TIMEOUT_KEY = "GTSD_PREFLIGHT_TIMEOUT"


def timeout_setting(project: Project, flag: str | None) -> float:
    """The per-query statement_timeout: the flag, else ``GTSD_PREFLIGHT_TIMEOUT`` (environment or
    ``.env``), else 5s; a bad value is an input error (exit 2) naming where it came from."""
    from gtsd_tui.core.durations import parse_duration

    if flag is not None:
        return parse_duration(flag, "--preflight-timeout")
    given = project.settings.apply_defaults.get(TIMEOUT_KEY)
    if given:
        return parse_duration(given[0], f"{TIMEOUT_KEY} ({given[1]})")
    return parse_duration(DEFAULT_TIMEOUT)


@dataclass(frozen=True)
class Finding:
    check: Check
    outcome: Outcome

    @property
    def status(self) -> str:
        return self.outcome.status

    def as_json(self) -> dict[str, Any]:
        c, o = self.check, self.outcome
        p = c.place
        return {
            "tag": p.tag,
            "file": p.file,
            "line": p.line,
            "column": p.column,
            "statement": p.statement,
            "kind": c.kind,
            "severity": c.severity,
            "status": o.status,
            "object": c.object,
            "table": c.table.label,
            "what": c.what,
            "count": o.count,
            "groups": o.groups,
            "estimated": o.estimated,
            "key_columns": o.key_columns,
            "sample_keys": o.sample,
            "query": o.query,
            "sample_query": o.sample_query,
            "note": o.note,
        }

    def line(self) -> str:
        """One line: where, what, how many, which keys."""
        c, o = self.check, self.outcome
        head = f"{c.place.where}: {c.place.tag}: "
        if o.status == "ok":
            return head + f"ok: {c.what}: none" + (f" ({o.note})" if o.note else "")
        if o.status == "unchecked":
            return head + f"not checked: {c.what}: {o.note}"
        if o.status == "fails" and o.count is None:
            return head + f"fails: {c.what}: {o.note}"
        n = "an unknown number of" if o.count is None else (f"~{o.count}" if o.estimated else str(o.count))
        label = {"fails": "fails", "loses": "loses data", "estimate": "estimate"}[o.status]
        groups = f" in {o.groups} group(s)" if o.groups is not None else ""
        keys = ""
        if o.sample:
            shown = ", ".join("(" + ", ".join(r) + ")" if len(r) > 1 else r[0] for r in o.sample)
            keys = f"; {'/'.join(o.key_columns)} {shown}"
        note = f" ({o.note})" if o.note and o.status != "fails" else ""
        return head + f"{label}: {n} row(s){groups}: {c.what}{keys}{note}"


@dataclass(frozen=True)
class DataPreflight:
    tags: tuple[str, ...]  # the pending migrations checked
    findings: tuple[Finding, ...]

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fails"]

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.failing else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {
            "migrations": list(self.tags),
            "ok": not self.failing,
            "findings": [f.as_json() for f in self.findings],
            "exit_code": self.exit_code,
        }

    def refusal(self) -> str:
        """The one line ``migrate`` refuses with."""
        first = self.failing[0]
        more = f" (and {len(self.failing) - 1} more)" if len(self.failing) > 1 else ""
        c = first.check
        n = "some" if first.outcome.count is None else str(first.outcome.count)
        return (
            f"{c.place.where}: {c.place.tag} would fail on existing data: {n} row(s): {c.what}{more}; "
            "nothing applied (gtsd-tui preflight lists them; --no-preflight skips this check)"
        )


@dataclass(frozen=True)
class PreflightDone:
    """The console's Review: the data preflight after the rehearsal, or why it could not run."""

    result: DataPreflight | None
    error: str | None = None


class PreflightRefused(GtsdError):
    """A pending statement is proven to fail on the target's rows; nothing was applied (exit 1)."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, result: DataPreflight) -> None:
        super().__init__(result.refusal())
        self.result = result


def preflight_steps(
    url: str,
    steps: list[Step],
    folder_path: Path,
    timeout: float,
    progress: Callable[[int, int], None] | None = None,
) -> DataPreflight:
    """The data checks of the planned ``steps``, run read-only on ``url``."""
    from gtsd_tui.core.data.data_schema import statements

    tags = tuple(s.migration.tag for s in steps)
    stmts = statements(steps, folder_path)
    if not stmts:  # no statement a check looks at (drizzle-kit's CREATE TABLE and CREATE INDEX): nothing to read
        return DataPreflight(tags, ())
    from gtsd_tui.core.data.data_rules import derive
    from gtsd_tui.core.data.data_schema import renamed_enums, validated

    on_target: dict[tuple[str, str, str], str] = {}
    enum_columns: dict[str, list[tuple[str, str, str]]] = {}
    wanted, enums = validated(stmts), renamed_enums(stmts)
    if wanted or enums:  # what only the target's catalog knows (a NOT VALID constraint, an enum's columns)
        from gtsd_tui.db.data_probe import target_facts

        found, enum_columns = target_facts(url, [(rel.sql, name) for rel, name in wanted], enums, timeout)
        on_target = {(*rel.key, name): found[(rel.sql, name)] for rel, name in wanted if (rel.sql, name) in found}
    checks = derive(stmts, on_target, enum_columns)
    outcomes: list[Outcome] = []
    if checks:
        from gtsd_tui.db.data_probe import probe

        outcomes = probe(url, checks, timeout, progress)
    return DataPreflight(tags, tuple(Finding(c, o) for c, o in zip(checks, outcomes, strict=True)))
