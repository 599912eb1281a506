"""merge3 on synthetic drizzle-kit snapshots: properties (hypothesis) and the clash rules."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gtsd_tui.core.merging.snapshot_merge import merge3, object_name
from gtsd_tui.core.migrations.snapshots import empty_snapshot

TABLES = ["public.users", "public.tasks", "public.tags"]
COLUMNS = ["id", "name", "status", "plan"]
TYPES = ["text", "integer", "uuid"]
VALUES = ["c", "d", "e"]


def column(name: str, typ: str, not_null: bool) -> dict[str, Any]:
    return {"name": name, "type": typ, "primaryKey": False, "notNull": not_null}


def table(name: str, cols: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name.split(".")[1],
        "schema": "",
        "columns": cols,
        "indexes": {},
        "foreignKeys": {},
        "compositePrimaryKeys": {},
        "uniqueConstraints": {},
        "policies": {},
        "checkConstraints": {},
        "isRLSEnabled": False,
    }


def snap(tables: dict[str, Any], values: list[str]) -> dict[str, Any]:
    s = empty_snapshot("11111111-1111-1111-1111-111111111111", "00000000-0000-0000-0000-000000000000")
    s["tables"] = tables
    s["enums"] = {"public.mood": {"name": "mood", "schema": "public", "values": values}}
    return s


BASE = snap({"public.users": table("public.users", {"id": column("id", "integer", True)})}, ["a", "b"])

op = st.one_of(
    st.tuples(st.just("add_table"), st.sampled_from(TABLES)),
    st.tuples(st.just("drop_table"), st.sampled_from(TABLES)),
    st.tuples(st.just("set_column"), st.sampled_from(TABLES), st.sampled_from(COLUMNS), st.sampled_from(TYPES)),
    st.tuples(st.just("not_null"), st.sampled_from(TABLES), st.sampled_from(COLUMNS)),
    st.tuples(st.just("drop_column"), st.sampled_from(TABLES), st.sampled_from(COLUMNS)),
    st.tuples(st.just("add_value"), st.sampled_from(VALUES)),
)


def mutate(base: dict[str, Any], ops: list[tuple[Any, ...]]) -> dict[str, Any]:
    s = copy.deepcopy(base)
    tables, values = s["tables"], s["enums"]["public.mood"]["values"]
    for o in ops:
        kind, args = o[0], o[1:]
        if kind == "add_table" and args[0] not in tables:
            tables[args[0]] = table(args[0], {"id": column("id", "integer", True)})
        elif kind == "drop_table":
            tables.pop(args[0], None)
        elif kind in ("set_column", "not_null", "drop_column") and args[0] in tables:
            cols = tables[args[0]]["columns"]
            if kind == "set_column":
                cols[args[1]] = column(args[1], args[2], cols.get(args[1], {}).get("notNull", False))
            elif kind == "not_null" and args[1] in cols:
                cols[args[1]]["notNull"] = not cols[args[1]]["notNull"]
            elif kind == "drop_column":
                cols.pop(args[1], None)
        elif kind == "add_value" and args[0] not in values:
            values.append(args[0])
    return s


sides = st.lists(op, max_size=6).map(lambda ops: mutate(BASE, ops))


def norm(s: dict[str, Any]) -> dict[str, Any]:
    """Values both sides appended at the same place have no intrinsic order (the apply order
    decides it): compare enum values as a set there."""
    out = copy.deepcopy(s)
    for e in out.get("enums", {}).values():
        e["values"] = sorted(e["values"])
    return out


@settings(max_examples=300, deadline=None)
@given(sides, sides)
def test_symmetric_where_no_clash(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    a, b = merge3(BASE, ours, theirs), merge3(BASE, theirs, ours)
    assert {c.name for c in a.clashes} == {c.name for c in b.clashes}
    if not a.clashes:
        assert norm(a.data) == norm(b.data)


@settings(max_examples=300, deadline=None)
@given(sides, sides)
def test_idempotent(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    merged = merge3(BASE, ours, theirs)
    assert merge3(BASE, ours, ours).data == ours
    if not merged.clashes:
        assert merge3(BASE, merged.data, theirs).data == merged.data
        assert merge3(BASE, ours, merged.data).data == merged.data
        assert merge3(BASE, merged.data, merged.data).data == merged.data


@settings(max_examples=300, deadline=None)
@given(sides)
def test_equals_ours_when_theirs_is_base(ours: dict[str, Any]) -> None:
    out = merge3(BASE, ours, BASE)
    assert out.data == ours and not out.clashes
    back = merge3(BASE, BASE, ours)
    assert back.data == ours and not back.clashes and not back.changes


def test_clash_rules() -> None:
    text = mutate(BASE, [("set_column", "public.users", "status", "text")])
    integer = mutate(BASE, [("set_column", "public.users", "status", "integer")])
    (clash,) = merge3(BASE, text, integer).clashes
    assert (clash.kind, clash.name, clash.base, clash.ours["type"], clash.theirs["type"]) == (
        "column",
        "users.status",
        None,
        "text",
        "integer",
    )
    dropped = mutate(BASE, [("drop_table", "public.users")])
    altered = mutate(BASE, [("set_column", "public.users", "plan", "text")])
    (gone,) = merge3(BASE, dropped, altered).clashes
    assert gone.kind == "table" and "dropped on ours side" in gone.reason
    same = merge3(BASE, text, text)
    assert not same.clashes and same.data == text


def test_enum_values_at_different_positions_clash() -> None:
    ours = snap(BASE["tables"], ["a", "x", "b"])
    theirs = snap(BASE["tables"], ["a", "b", "x"])
    (clash,) = merge3(BASE, ours, theirs).clashes
    assert (clash.kind, clash.name) == ("enum value", "mood.x")
    both = merge3(BASE, snap(BASE["tables"], ["a", "b", "c"]), snap(BASE["tables"], ["a", "b", "d"]))
    assert both.data["enums"]["public.mood"]["values"] == ["a", "b", "c", "d"] and not both.clashes
    before = merge3(BASE, snap(BASE["tables"], ["a", "b", "c"]), snap(BASE["tables"], ["a", "d", "b"]))
    assert before.data["enums"]["public.mood"]["values"] == ["a", "d", "b", "c"]


def test_layout_is_theirs_with_ours_objects_in_sorted_place() -> None:
    ours = mutate(BASE, [("add_table", "public.tags")])
    theirs = mutate(BASE, [("add_table", "public.tasks"), ("set_column", "public.users", "name", "text")])
    theirs["tables"] = dict(sorted(theirs["tables"].items()))  # as drizzle-kit writes them
    out = merge3(BASE, ours, theirs)
    assert list(out.data["tables"]) == ["public.tags", "public.tasks", "public.users"]
    assert list(out.data) == list(theirs)
    assert [c.describe() for c in out.changes] == ["+ table tags"]
    assert object_name(("tables", "public.users", "columns", "status")) == ("column", "users.status")
