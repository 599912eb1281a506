"""``renumber`` for Drizzle v1 folders: numbers and journal are gone, so the only repair is the graph.

Two open branches that commute (drizzle-kit 1.0 ``check`` passes) are joined by re-parenting the later
branch: the ``prevIds`` of its first migration point at the earlier branch's last migration instead of
the fork point. Folder names, SQL bytes and hashes do not change, so every database row stays valid and
drizzle-orm's order (folder names) is the same. A branch holding a ``base`` snapshot (a full schema, not
a diff) cannot be moved: its state would drop the other branch. Non-commuting branches cannot be joined
by any renumbering: one of the two changes has to be rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gtsd_tui.core.drizzle_v1.v1 import V1Snapshot, icu_key, read_v1_snapshots
from gtsd_tui.core.merging.forks import analyse, origin_label

if TYPE_CHECKING:
    from gtsd_tui.core.migrations.folder import Folder


@dataclass(frozen=True)
class Relink:
    folder: str  # migration folder whose snapshot.json changes
    old: tuple[str, ...]
    new: tuple[str, ...]
    after: str  # the earlier branch's last migration it now follows

    def describe(self) -> str:
        return f"{self.folder}/snapshot.json: prevIds now {self.after} (was a sibling of it)"


@dataclass
class ReparentPlan:
    relinks: list[Relink] = field(default_factory=list)
    refusal: str | None = None
    writes: dict[str, bytes] = field(default_factory=dict)

    @property
    def noop(self) -> bool:
        return not self.relinks and self.refusal is None


def plan_reparent(folder: Folder) -> ReparentPlan:
    snaps = read_v1_snapshots(folder)
    plan = ReparentPlan()
    for _ in range(len(snaps) + 1):
        report = analyse(snaps)
        if report.conflicts:
            c = report.conflicts[0]
            plan.refusal = (
                f"{c.a.source} ({c.a.description}) and {c.b.source} ({c.b.description}) do not commute: "
                "renumbering cannot make both true. Keep one branch and rewrite the other's change as a new "
                "migration after it (or `drizzle-kit generate --fix-conflicts`, which deletes both branches)"
            )
            plan.relinks.clear()
            return plan
        if not report.forks:
            break
        fork = report.forks[0]
        by_folder = {s.folder: s for s in snaps}
        first = [min(chain, key=icu_key) for chain in fork.branches]
        later = 0 if icu_key(first[0]) > icu_key(first[1]) else 1
        chain, other = fork.branches[later], fork.branches[1 - later]
        earlier_leaf = by_folder[fork.leaves[1 - later]]
        base = [f for f in chain if by_folder[f].kind == "base"]
        if base or earlier_leaf.id is None:
            plan.refusal = (
                f"{base[0] if base else earlier_leaf.folder}: a base snapshot (the whole schema) cannot be moved "
                f"after {other[-1]}; run `drizzle-kit generate` to write a merge snapshot instead"
            )
            plan.relinks.clear()
            return plan
        ids = {by_folder[f].id for f in chain}
        changed = False
        for f in chain:  # the branch's roots: prevIds outside the branch (the fork point) now the other leaf
            s = by_folder[f]
            if all(p in ids for p in s.prev_ids):
                continue
            new = tuple(dict.fromkeys(p if p in ids else earlier_leaf.id for p in s.prev_ids))
            plan.relinks.append(Relink(f, s.prev_ids, new, earlier_leaf.folder))
            snaps = [x.replaced(prev_ids=new) if x.folder == f else x for x in snaps]
            changed = True
        if not changed:
            plan.refusal = f"cannot join the branches forking at {origin_label(fork.parent)}"
            plan.relinks.clear()
            return plan
    final: dict[str, tuple[str, ...]] = {}
    for r in plan.relinks:
        final[r.folder] = r.new
    for name, prev in final.items():
        path = folder.path / name / "snapshot.json"
        data = json.loads(path.read_text())
        data["prevIds"] = list(prev)
        plan.writes[f"{name}/snapshot.json"] = json.dumps(data, indent=2, ensure_ascii=False).encode()
    return plan


__all__ = ["ReparentPlan", "Relink", "V1Snapshot", "plan_reparent"]
