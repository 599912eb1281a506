"""Forks in a v1 folder's snapshot DAG and whether the branches commute, as drizzle-kit 1.0 decides.

A port of drizzle-kit 1.0.0-rc.5 (``bin.cjs``: ``FootprintCommutativity.findConflict``,
``detectBranchConflicts``, ``leafIdsOf``, ``ancestorsOf``, ``lowestCommonAncestor`` and
``PostgresCommutativity.describe``). For postgres, rc.5 does not diff snapshots when it checks: each
``snapshot.json`` carries the ``footprints`` of its statements (``writes``, ``reads``,
``sharedWrites`` node keys such as ``s|colprop|public.users.name.type``, and a ``sqlHash`` for
idempotent changes). For every pair of open leaves it takes the migrations on each side of their
fork, and two branches conflict when a write (or shared write) of one touches a write or read of
the other, unless both are the same idempotent change (same type and ``sqlHash``).
"""

from __future__ import annotations

from gtsd_tui.core.drizzle_v1.v1 import ORIGIN, V1Snapshot
from gtsd_tui.core.record import FrozenRecord, Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up)
    from typing import Any

_SCHEMA_LEVEL = {
    "create_table", "drop_table", "rename_table", "move_table", "remove_from_schema", "set_new_schema",
    "create_view", "drop_view", "alter_view", "rename_view", "move_view", "create_enum", "drop_enum",
    "alter_enum", "recreate_enum", "rename_enum", "move_enum", "create_sequence", "drop_sequence",
    "alter_sequence", "rename_sequence", "move_sequence", "create_schema", "drop_schema", "rename_schema",
    "create_role", "drop_role", "alter_role", "rename_role",
}  # fmt: skip


class Side(FrozenRecord):
    _fields = ("leaf", "source", "chain", "description")

    def __init__(self, leaf: str, source: str, chain: tuple[str, ...], description: str) -> None:
        self.leaf = leaf  # folder of the branch's last migration
        self.source = source  # folder of the migration whose change conflicts
        self.chain = chain  # folders of the branch, fork side first
        self.description = description  # drizzle-kit's wording, e.g. "alter_column: name on users table"


class Conflict(FrozenRecord):
    _fields = ("parent", "a", "b")

    def __init__(self, parent: str | None, a: Side, b: Side) -> None:
        self.parent = parent  # folder of the fork point; None when the branches share no migration
        self.a, self.b = a, b


class Fork(FrozenRecord):
    _fields = ("parent", "leaves", "branches")

    def __init__(
        self, parent: str | None, leaves: tuple[str, str], branches: tuple[tuple[str, ...], tuple[str, ...]]
    ) -> None:
        self.parent, self.leaves, self.branches = parent, leaves, branches


class ForkReport(Record):
    _fields = ("leaves", "forks", "conflicts")

    def __init__(
        self, leaves: list[str] | None = None, forks: list[Fork] | None = None, conflicts: list[Conflict] | None = None
    ) -> None:
        self.leaves = [] if leaves is None else leaves  # folders of the open heads
        self.forks = [] if forks is None else forks  # one per pair of open heads
        self.conflicts = [] if conflicts is None else conflicts

    def commute(self, leaf_a: str, leaf_b: str) -> bool:
        return not any({c.a.leaf, c.b.leaf} == {leaf_a, leaf_b} for c in self.conflicts)


def describe(footprint: dict[str, Any]) -> str:
    """``PostgresCommutativity.describe``: the sentence drizzle-kit prints for a change."""
    action = str(footprint.get("statementType", "?"))
    target = [str(t) for t in footprint.get("statementTarget") or []]
    kind, names = (target[0], target[1:]) if target else ("", [])
    name = names[-1] if names else ""
    schema = names[0] if len(names) >= 2 else ""
    table = names[1] if len(names) == 3 else ""
    if kind == "role":
        return f"{action}: {name} role"
    if kind in ("index", "column"):
        return f"{action}: {name} on {table} table"
    if kind == "schema":
        return f"{action}: {name} schema"
    if action in _SCHEMA_LEVEL:
        return f"{action}: {name} in {schema or 'schema'} schema"
    return f"{action} on {name} table"


def _same_change(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a.get("sqlHash") is not None
        and a.get("statementType") == b.get("statementType")
        and (a.get("sqlHash") == b.get("sqlHash"))
    )


if TYPE_CHECKING:
    Print = tuple[str, dict[str, Any]]  # (snapshot id, footprint)


def _first_conflict(frm: list[Print], to: list[Print]) -> tuple[Print, Print] | None:
    touching: dict[str, list[Print]] = {}
    for p in to:
        for node in [*(p[1].get("writes") or []), *(p[1].get("reads") or [])]:
            touching.setdefault(node, []).append(p)
    for p in frm:
        for node in [*(p[1].get("writes") or []), *(p[1].get("sharedWrites") or [])]:
            for other in reversed(touching.get(node, [])):
                if not _same_change(p[1], other[1]):
                    return p, other
    return None


def _ancestors(nodes: dict[str, V1Snapshot], start: str, cache: dict[str, set[str]]) -> set[str]:
    if start in cache:
        return cache[start]
    out: set[str] = set()
    stack = [start]
    while stack:
        sid = stack.pop()
        if sid in out or sid not in nodes:
            continue
        out.add(sid)
        stack.extend(nodes[sid].prev_ids)
    cache[start] = out
    return out


def _lowest_common_ancestor(nodes: dict[str, V1Snapshot], leaves: list[str], cache: dict[str, set[str]]) -> str | None:
    common: set[str] | None = None
    for leaf in leaves:
        anc = _ancestors(nodes, leaf, cache)
        common = set(anc) if common is None else common & anc
        if not common:
            return None
    if not common:
        return None
    order = list(nodes)
    best, size = None, -1
    for cand in sorted(common, key=order.index):  # insertion order, as a JS Set iterates
        anc = _ancestors(nodes, cand, cache)
        if common <= anc and len(anc) > size:
            best, size = cand, len(anc)
    return best


def analyse(snapshots: list[V1Snapshot]) -> ForkReport:
    """Forks between open heads and the non-commutative ones among them (drizzle-kit ``check``)."""
    nodes: dict[str, V1Snapshot] = {}
    for s in snapshots:
        if s.id is not None:
            nodes.pop(s.id, None)
            nodes[s.id] = s
    parents = {p for s in nodes.values() for p in s.prev_ids}
    leaf_ids = [sid for sid in nodes if sid not in parents]
    cache: dict[str, set[str]] = {}
    report = ForkReport(leaves=[nodes[i].folder for i in leaf_ids])

    def prints(ids: list[str]) -> list[Print]:
        return [(i, f) for i in ids for f in nodes[i].footprints]

    for i, x in enumerate(leaf_ids):
        for y in leaf_ids[i + 1 :]:
            hx, hy = _ancestors(nodes, x, cache), _ancestors(nodes, y, cache)
            bx = [sid for sid in nodes if sid in hx and sid not in hy]
            by = [sid for sid in nodes if sid in hy and sid not in hx]
            fork_id = _lowest_common_ancestor(nodes, [x, y], cache)
            parent = nodes[fork_id].folder if fork_id else None
            chain_x = tuple(nodes[s].folder for s in bx)
            chain_y = tuple(nodes[s].folder for s in by)
            report.forks.append(Fork(parent, (nodes[x].folder, nodes[y].folder), (chain_x, chain_y)))
            px, py = prints(bx), prints(by)
            found = _first_conflict(px, py) or _first_conflict(py, px)
            if found is None:
                continue
            left, right = found
            fx, fy = (left, right) if left[0] in hx else (right, left)
            report.conflicts.append(
                Conflict(
                    parent,
                    Side(nodes[x].folder, nodes[fx[0]].folder, chain_x, describe(fx[1])),
                    Side(nodes[y].folder, nodes[fy[0]].folder, chain_y, describe(fy[1])),
                )
            )
    return report


def origin_label(parent: str | None) -> str:
    return parent if parent is not None else f"the origin ({ORIGIN[:8]}...)"
