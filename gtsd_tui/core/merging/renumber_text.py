"""The renumber plan as the user reads it (CLI and console) and as ``--json`` carries it."""

from __future__ import annotations

from typing import Any

from gtsd_tui.core.merging.renumber import RenumberPlan
from gtsd_tui.core.merging.schema_findings import Fork
from gtsd_tui.core.merging.snapshot_merge import definition

_PER_MIGRATION = 12  # merged objects listed per moved snapshot before "... and N more"


def clash_lines(plan: RenumberPlan) -> list[str]:
    out = []
    for name, c in plan.clashes:
        out.append(
            f"{c.kind} {c.name}: {c.reason}: ours {definition(c.kind, c.ours)}; theirs "
            f"{definition(c.kind, c.theirs)}; base {definition(c.kind, c.base)} (in {name})"
        )
    return out


def refusal(plan: RenumberPlan) -> str:
    files = ", ".join(plan.clash_files())
    return (
        f"the branches' schemas clash ({len(plan.clashes)} object(s)); nothing written. "
        f"Edit {files} (and the TypeScript schema) so both branches agree, then run renumber again "
        "(--force merges anyway, keeping the kept side's definition)"
    )


def fork_lines(forks: list[Fork]) -> list[str]:
    out = []
    for f in forks:
        a = ", ".join(m.tag for m in f.ours) or "(none)"
        b = ", ".join(m.tag for m in f.theirs) or "(none)"
        if f.independent:
            out.append(f"independent: order does not matter ({b} | {a}, both from {f.base})")
        for o in f.overlaps:
            verdict = "applying both fails" if o.certain_failure else "check the order"
            out.append(f"overlap: {o.kind} {o.name} changed on both branches ({verdict})")
            out += [f"    ours:   {s}" for s in o.ours[:2]] + [f"    theirs: {s}" for s in o.theirs[:2]]
    return out


def plan_lines(plan: RenumberPlan, pinned_by: str, forks: list[Fork]) -> list[str]:
    lines = [f"kept in place ({pinned_by}): {len(plan.kept)} migration(s)"]
    lines += [f"  {c.describe()}" for c in plan.changes]
    for tag in plan.dropped:
        lines.append(f"  drop journal entry {tag}: {tag}.sql does not exist (its snapshot is carried forward)")
    for tag in plan.carried:
        lines.append(f"  {tag}: registered with the previous snapshot carried forward (as generate --custom)")
    by_tag: dict[str, list[str]] = {}
    for b in plan.brought:
        by_tag.setdefault(b.tag, []).append(b.describe())
    for tag, items in by_tag.items():
        lines.append(f"  {tag}: snapshot merged with the kept branch:")
        lines += [f"    {item}" for item in items[:_PER_MIGRATION]]
        if len(items) > _PER_MIGRATION:
            lines.append(f"    ... and {len(items) - _PER_MIGRATION} more")
    lines += [f"  {line}" for line in fork_lines(forks)]
    for name in plan.relinked:
        lines.append(f"  re-link meta/{name}")
    for name in plan.dangling:
        lines.append(f"  warning: meta/{name}: its prevId named no snapshot; re-linked into the chain")
    for name, made in plan.already_made.items():
        lines.append(
            f"  warning: {name}: everything it creates already exists ({', '.join(made[:3])}): it would fail "
            "on every up-to-date database; delete it instead of registering it"
        )
    for item in plan.unmergeable:
        lines.append(f"  warning: {item}; re-linked without merging")
    lines += [f"  write {rel}" for rel in sorted(plan.writes)]
    lines += [f"  delete {rel}" for rel in plan.deletes]
    return lines


def plan_json(plan: RenumberPlan, pinned_by: str, forks: list[Fork]) -> dict[str, Any]:
    return {
        "noop": plan.noop,
        "kept_by": pinned_by,
        "kept": plan.kept,
        "changes": [vars(c) for c in plan.changes],
        "dropped_entries": plan.dropped,
        "carried": plan.carried,
        "merged": [{"migration": b.tag, "change": b.change.describe(), "from": b.origin} for b in plan.brought],
        "clashes": [{**c.to_json(), "file": name} for name, c in plan.clashes],
        "forks": [
            {
                "base": f.base,
                "ours": [m.tag for m in f.ours],
                "theirs": [m.tag for m in f.theirs],
                "independent": f.independent,
                "overlaps": [vars(o) for o in f.overlaps],
            }
            for f in forks
        ],
        "dangling": plan.dangling,
        "already_made": plan.already_made,
        "unmergeable": plan.unmergeable,
        "relinked": plan.relinked,
        "writes": sorted(plan.writes),
        "deletes": plan.deletes,
        "renames": plan.sql_moves,
    }
