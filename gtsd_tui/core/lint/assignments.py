"""ban-duplicate-column-assignments: a column assigned or defined twice in one statement. UPDATE ... SET,
INSERT ... ON CONFLICT DO UPDATE SET and MERGE ... UPDATE SET, INSERT/MERGE column lists, CREATE
[FOREIGN] TABLE columns, CREATE VIEW column lists (or, without one, the names PostgreSQL gives the
select list), SELECT ... INTO. Assignments to parts of a column (``a[1] = 1, a[2] = 2``, ``a.x = 1,
a.y = 2``) are not duplicates unless the whole column is also assigned."""

from __future__ import annotations

from collections.abc import Iterable

from gtsd_tui.core.lint.tree import ResTarget, ResTargetNode, Stmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter

RULE = "ban-duplicate-column-assignments"
Item = tuple[str, int, bool]  # (name, file offset, assigns only a part of the column)


def check_assignments(lint: Linter, s: Stmt) -> None:
    if s.update is not None:
        _report(lint, _targets(lint, s.update.target_list), "assigned")
    elif s.insert is not None:
        _report(lint, _targets(lint, s.insert.cols), "assigned")
        if s.insert.on_conflict is not None:
            _report(lint, _targets(lint, s.insert.on_conflict.target_list), "assigned")
    elif s.merge is not None:
        for node in s.merge.clauses:
            if node.clause is not None:
                _report(lint, _targets(lint, node.clause.target_list), "assigned")
    elif s.create is not None or s.foreign_table is not None:
        create = s.create if s.create is not None else s.foreign_table.base  # type: ignore[union-attr]
        if create is not None:
            cols = [(e.column.colname, lint.at(e.column.location), False) for e in create.table_elts if e.column]
            _report(lint, cols, "defined")
    elif s.view is not None:
        if s.view.aliases:
            _report(lint, [(a.string.sval if a.string else "", lint.first, False) for a in s.view.aliases], "defined")
        elif s.view.query is not None and s.view.query.select is not None:
            _report(lint, _output_names(lint, s.view.query.select.target_list), "defined")
    elif s.select is not None and s.select.into is not None:
        _report(lint, _output_names(lint, s.select.target_list), "defined")


def _targets(lint: Linter, nodes: list[ResTargetNode]) -> list[Item]:
    return [(t.name, lint.at(t.location), bool(t.indirection)) for n in nodes if (t := n.target) is not None]


def _output_names(lint: Linter, nodes: list[ResTargetNode]) -> list[Item]:
    out = []
    for n in nodes:
        if n.target is not None:
            name = _column_name(n.target)
            if name is not None:
                out.append((name, lint.at(n.target.location), False))
    return out


def _column_name(t: ResTarget) -> str | None:
    """The name PostgreSQL gives a select-list item (FigureColname, in short); None for ``*``."""
    if t.name:
        return t.name
    e = t.val
    while e is not None:
        if e.column_ref is not None:
            last = e.column_ref.fields[-1].string if e.column_ref.fields else None
            return last.sval if last else None
        if e.func_call is not None:
            return e.func_call.name
        cast = e.type_cast
        if cast is not None:
            inner = cast.arg
            if inner is not None and (inner.column_ref is not None or inner.func_call is not None):
                e = inner
                continue
            return cast.type_name.name if cast.type_name else "?column?"
        break
    return "?column?"


def _report(lint: Linter, items: Iterable[Item], verb: str) -> None:
    by_name: dict[str, list[Item]] = {}
    for item in items:
        if item[0]:
            by_name.setdefault(item[0], []).append(item)
    for name, found in by_name.items():
        if len(found) < 2 or all(partial for _n, _at, partial in found):
            continue
        for _n, at, _p in found:
            lint.add(RULE, at, f"column {name} is {verb} more than once in this statement")
