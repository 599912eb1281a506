"""The difference between two schema catalog reads, as a readable summary."""

from __future__ import annotations

from dataclasses import dataclass

Catalog = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Change:
    kind: str  # table, column, index, constraint, enum, view, function
    name: str
    action: str  # added, removed, changed
    before: str | None
    after: str | None

    def line(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.action]
        if self.action == "changed":
            return f"{sign} {self.kind} {self.name}: {self.before} -> {self.after}"
        value = self.after if self.action == "added" else self.before
        detail = f": {value}" if value and self.kind not in ("table", "view", "function") else ""
        return f"{sign} {self.kind} {self.name}{detail}"

    def as_json(self) -> dict[str, str | None]:
        return {"kind": self.kind, "name": self.name, "action": self.action, "before": self.before, "after": self.after}


def diff(before: Catalog, after: Catalog) -> list[Change]:
    """Changes in catalog order (tables, columns, ... as read), each kind sorted by name."""
    out: list[Change] = []
    for kind in list(before) + [k for k in after if k not in before]:
        old, new = before.get(kind, {}), after.get(kind, {})
        for name in sorted(set(old) | set(new)):
            a, b = old.get(name), new.get(name)
            if a == b:
                continue
            action = "added" if a is None else "removed" if b is None else "changed"
            out.append(Change(kind, name, action, a, b))
    return out


def summary(changes: list[Change]) -> list[str]:
    """One line per change; a dropped or added table's columns, indexes and constraints folded into it."""
    gone = {c.name for c in changes if c.kind == "table" and c.action != "changed"}
    lines = []
    for c in changes:
        owner = c.name.rsplit(".", 1)[0]
        if c.kind in ("column", "constraint") and owner in gone:
            continue
        lines.append(c.line())
    return lines or ["(no schema change)"]
