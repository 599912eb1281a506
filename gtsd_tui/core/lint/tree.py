"""The parts of pglast's parse tree (libpg_query's JSON) that the lint rules read, as typed views.

Each class is a view over one decoded JSON object (``node``): only the nodes a rule reads are
wrapped, on first read; storage options, most expressions, ``VALUES`` lists, ... are never looked at.
Field names are the parse tree's own (``child``/``children``/``renamed`` name the key where Python
needs another). ``location`` fields are byte offsets in the parsed text (-1 when the parser has none).

The views are plain classes over the parse tree's JSON (libpg_query's, from pglast's parser), without
msgspec.

A view's ``__dict__`` is the JSON object itself: a field spelled as the parse tree spells it and
holding a plain value (``relname``, ``missing_ok``, ``location``) is read at the speed of any attribute,
and an absent one falls back to the class attribute (its default: libpg_query leaves out empty
strings, false and zero). A field holding another node, a list of nodes, or spelled otherwise in
Python (``tableElts`` as ``table_elts``, ``CreateStmt`` as ``create``) is declared with
:func:`child`, :func:`children`, :func:`required` or :func:`renamed`: :func:`view` wraps (or copies)
it into the same dict under its Python name when the parent is viewed, so the rules read every field
as a plain attribute. Nothing is built for the nodes and fields no rule reads.

:func:`read` uses the ``json`` module and these views until a process has decoded ``MSGSPEC_AFTER``
bytes: a git hook linting one file never imports msgspec (with ``typing``, ``inspect``, ``uuid``,
``decimal`` and ``datetime``, more than the whole run of such a hook). Past that, a large run, it
decodes with msgspec into structs made from the same declarations (:func:`_struct`: the same field
names, defaults, JSON keys, properties and methods), which skip in C every node and field not declared
(several times faster than building the views in Python); the findings are the same either way
(``tests/test_lint_views.py``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any, TypeVar

    from gtsd_tui.core.lint.tree_more import (
        AlterDomainStmt,
        CreateDomainStmt,
        CreateForeignTableStmt,
        CreateTableAsStmt,
        InsertStmt,
        MergeStmt,
        ReindexStmt,
        SelectStmt,
        SetSchemaStmt,
        TruncateStmt,
        UpdateStmt,
        VacuumStmt,
        ViewStmt,
    )

    N = TypeVar("N", bound="Node")
    V = TypeVar("V")

# JSON read with the json module and views before msgspec takes over. Measured on dittofeed's parse
# trees: the views take 0.035 ms per KB more than msgspec's structs; importing msgspec and making the
# structs 20-45 ms on this machine: about a megabyte's worth (the snapshots' budget too)
MSGSPEC_AFTER = 1 << 20
_decoded = 0


# libpg_query's JSON of a migration is about 3.7 times its SQL (dittofeed's folder: 149 KB of 40 KB)
TREE_PER_SQL = 4


def expect(sql_bytes: int) -> None:
    """A run about to lint this much SQL: straight to msgspec when its trees would pass the budget
    anyway (the views' extra time would be spent for nothing)."""
    global _decoded
    if sql_bytes * TREE_PER_SQL > MSGSPEC_AFTER - _decoded:
        _decoded = max(_decoded, MSGSPEC_AFTER)


_WHITESPACE = " \t\n\r"  # JSON's


class _Decoding:
    """What ``_json.make_scanner`` reads from its context (a ``json.JSONDecoder`` in the json package)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float  # (the C scanner's own fast paths: float and int themselves)
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return float(name)  # NaN, Infinity, -Infinity: what json.loads gives


_scan: Any = None


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, the same values, through the json package's own C scanner (``_json``) without
    importing the package, whose modules compile five regular expressions at import (lint of one file
    is what a pre-commit hook runs: docs/startup.md). Anything that is not one JSON value, and an
    interpreter without ``_json``, goes to ``json.loads`` itself, which gives its own answer or error."""
    global _scan
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if _scan is None:
        try:
            import _json
        except ImportError:
            _scan = False
        else:
            _scan = _json.make_scanner(_Decoding())  # type: ignore[arg-type]
    if _scan:
        start = len(text) - len(text.lstrip(_WHITESPACE))
        try:
            value, end = _scan(text, start)
        except StopIteration:
            pass  # not a value at all: json's error
        else:
            if end == len(text) or not text[end:].strip(_WHITESPACE):
                return value
    import json

    return json.loads(text)


def read(cls: type[N], text: str | bytes) -> N:
    """The parse tree's JSON ``text`` as a ``cls``."""
    global _decoded
    if _decoded < MSGSPEC_AFTER:
        _decoded += len(text)
        return view(cls, loads(text))
    return _decoder(cls).decode(text)  # type: ignore[no-any-return,unused-ignore]


def read_list(cls: type[N], text: str | bytes) -> list[N]:
    """The parse tree's JSON ``text``, a list, each item as a ``cls``."""
    global _decoded
    if _decoded < MSGSPEC_AFTER:
        _decoded += len(text)
        return [view(cls, item) for item in loads(text)]
    return _decoder(cls, many=True).decode(text)  # type: ignore[no-any-return,unused-ignore]


class Node:
    """A view of one JSON object of the parse tree (see the module)."""

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}({self.__dict__!r})"


class _Field:
    """A field declared with :func:`child`, :func:`children`, :func:`required`, :func:`renamed` or
    :func:`later`: replaced by its default on the class the first time the class is viewed (``_spec``)."""

    __slots__ = ("default", "key", "kind", "many", "required")

    def __init__(
        self, kind: type[Node] | _Later | None, key: str, many: bool, default: object = None, required: bool = False
    ) -> None:
        self.kind, self.key, self.many, self.default, self.required = kind, key, many, default, required


class _Later:
    """A kind declared in ``tree_more`` (the rarer statements), by name: made when a tree first holds one."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# what loads ``tree_more`` (a module above this one, which imports it): set by the lint package
more_kinds: Callable[[], ModuleType] | None = None


def _kind(kind: type[Node] | _Later | None) -> type[Node] | None:
    """A field's kind, a :func:`later` one made now."""
    if type(kind) is _Later:
        if more_kinds is None:
            raise RuntimeError(f"{kind.name}: the lint package has not set tree.more_kinds")
        made: type[Node] = getattr(more_kinds(), kind.name)
        return made
    return kind  # type: ignore[return-value]


_EMPTY: list[Any] = []  # the default of every absent list (never mutated: the rules only read the tree)
_specs: dict[type, dict[str, tuple[str, Any, bool]]] = {}  # (attribute, kind: a class, a _Later or None, many)
_required: dict[type, set[str]] = {}


def _spec(cls: type[Node]) -> dict[str, tuple[str, Any, bool]]:
    """JSON key -> (attribute, kind, many) of the fields ``cls`` wraps or renames; its declared fields
    become their defaults on the class (fields set after the class, for recursive kinds, included)."""
    spec: dict[str, tuple[str, Any, bool]] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in list(vars(klass).items()):
            if isinstance(value, _Field):
                setattr(klass, attr, _EMPTY if value.many else value.default)
                _specs.setdefault(klass, {})[value.key] = (attr, value.kind, value.many)
                if value.required:
                    _required.setdefault(klass, set()).add(attr)
        spec.update(_specs.get(klass, {}))
    _specs[cls] = spec
    return spec


def view(cls: type[N], data: dict[str, Any]) -> N:
    """``data`` as a ``cls``: its declared children are viewed now (each JSON object once), in place."""
    spec = _specs.get(cls)
    if spec is None:
        spec = _spec(cls)
    if spec:
        for key in [k for k in data if k in spec]:
            attr, kind, many = spec[key]
            raw = data[key]
            if type(kind) is _Later:  # the first tree holding one: made now, named directly from then on
                kind = _kind(kind)
                spec[key] = (attr, kind, many)
            if kind is None:
                data[attr] = raw
            elif many:
                data[attr] = [view(kind, x) for x in raw]
            else:
                data[attr] = view(kind, raw)
    node = cls.__new__(cls)
    node.__dict__ = data
    return node


if TYPE_CHECKING:

    def child(kind: type[N], key: str) -> N | None: ...

    def children(kind: type[N], key: str) -> list[N]: ...

    def required(kind: type[N], key: str) -> N: ...

    def renamed(key: str, default: V) -> V: ...

    def raw(key: str) -> Any: ...

    def later(kind: str, key: str) -> Any: ...

else:

    def child(kind, key):
        """The node under ``key`` as ``kind`` (None when absent)."""
        return _Field(kind, key, False)

    def children(kind, key):
        """The list under ``key``, each item as ``kind`` (empty when absent)."""
        return _Field(kind, key, True)

    def required(kind, key):
        """The node under ``key`` as ``kind`` (libpg_query always writes it)."""
        return _Field(kind, key, False, required=True)

    def renamed(key, default):
        """A plain value the parse tree spells ``key`` (``default`` when absent)."""
        return _Field(None, key, False, default)

    def raw(key):
        """The JSON under ``key`` as it was decoded (None when absent)."""
        return _Field(None, key, False)

    def later(kind, key):
        """The node under ``key`` as the class ``kind`` of ``tree_more`` (None when absent): made when a
        parse tree first holds one (annotate the field with its type)."""
        return _Field(_Later(kind), key, False)


# -- the bulk path: msgspec structs made from the views' declarations ---------------------------------

_decoders: dict[tuple[type, bool], Any] = {}
_STRUCTS = "gtsd_tui.core.lint._structs"  # a module of its own: the structs' annotations name each other


def _decoder(cls: type[Node], many: bool = False) -> Any:
    found = _decoders.get((cls, many))
    if found is None:
        import msgspec

        kind = _struct(cls)
        found = _decoders[(cls, many)] = msgspec.json.Decoder(list[kind] if many else kind)  # type: ignore[valid-type]
    return found


def _struct_name(cls: type) -> str:
    return f"{cls.__module__.rsplit('.', 1)[-1]}_{cls.__name__}"


def _struct(cls: type[Node]) -> type:
    """The msgspec struct of a view class (and, first, of every kind its fields name)."""
    import sys
    import types

    ns = sys.modules.get(_STRUCTS)
    if ns is None:
        import typing

        ns = sys.modules[_STRUCTS] = types.ModuleType(_STRUCTS)
        ns.Any = typing.Any  # type: ignore[attr-defined]
    name = _struct_name(cls)
    if not hasattr(ns, name):
        setattr(ns, name, None)  # being made: a field of a kind that names this one back refers to it by name
        made, kinds = _make_struct(cls, name)
        setattr(ns, name, made)
        for kind in kinds:
            _struct(kind)
    return getattr(ns, name)  # type: ignore[no-any-return,unused-ignore]


def _make_struct(cls: type[Node], name: str) -> tuple[type, list[type[Node]]]:
    import msgspec

    spec = _specs.get(cls)
    if spec is None:
        spec = _spec(cls)
    required: list[tuple[str, str, Any]] = []
    optional: list[tuple[str, str, Any]] = []
    namespace: dict[str, Any] = {}
    kinds: list[type[Node]] = []
    declared = {attr for attr, _, _ in spec.values()}
    for key, (attr, later_kind, many) in spec.items():
        kind = _kind(later_kind)
        default = getattr(cls, attr)
        if kind is None:  # a renamed plain value, or raw JSON
            optional.append(
                (attr, "Any" if default is None else type(default).__name__, msgspec.field(default=default, name=key))
            )
            continue
        kinds.append(kind)
        ref = _struct_name(kind)
        if many:
            optional.append((attr, f"list[{ref}]", msgspec.field(default_factory=list, name=key)))
        elif attr in _required.get(cls, ()):
            required.append((attr, ref, msgspec.field(name=key)))
        else:
            optional.append((attr, f"{ref} | None", msgspec.field(default=None, name=key)))
    for klass in reversed(cls.__mro__[:-1]):  # the plain fields (their defaults) and the properties
        for attr, value in vars(klass).items():
            if attr.startswith("__") or attr in declared:
                continue
            if isinstance(value, (str, bool, int)) and not attr.startswith("_"):
                optional.append((attr, type(value).__name__, value))
            elif callable(value) or isinstance(value, property):
                namespace[attr] = value
    made = msgspec.defstruct(name, [*required, *optional], namespace=namespace, module=_STRUCTS, gc=False)
    return made, kinds


# -- expression and name nodes: constants, casts, function calls, operators, column references, type
# names and relation names, as libpg_query's JSON spells them
class Present(Node):
    """A node whose kind is all a rule needs to know."""


class RangeVar(Node):
    relname = ""
    schemaname = ""
    relpersistence = "p"
    location = -1


class Sval(Node):
    sval = ""


class StringNode(Node):
    string = child(Sval, "String")


def _last(names: list[StringNode]) -> str:
    last = names[-1].string if names else None
    return last.sval if last else ""


class AConst(Node):
    isnull = False


class Ival(Node):
    ival = 0


class ModConst(Node):
    ival = child(Ival, "ival")


class TypMod(Node):
    a_const = child(ModConst, "A_Const")

    @property
    def value(self) -> int:
        return self.a_const.ival.ival if self.a_const and self.a_const.ival else -1


class TypeName(Node):
    names = children(StringNode, "names")
    typmods = children(TypMod, "typmods")
    location = -1

    @property
    def name(self) -> str:
        return _last(self.names)


class FuncCall(Node):
    funcname = children(StringNode, "funcname")
    args: list[Expr]

    @property
    def name(self) -> str:
        return _last(self.funcname)


class TypeCast(Node):
    arg: Expr | None
    type_name = child(TypeName, "typeName")


class AExpr(Node):
    lexpr: Expr | None
    rexpr: Expr | None


class Args(Node):
    args: list[Expr]


class Elements(Node):
    elements: list[Expr]


class ColumnRef(Node):
    fields = children(StringNode, "fields")


class NullTest(Node):
    arg: Expr | None
    nulltesttype = ""


class Expr(Node):
    a_const = child(AConst, "A_Const")
    type_cast = child(TypeCast, "TypeCast")
    func_call = child(FuncCall, "FuncCall")
    sql_value = child(Present, "SQLValueFunction")
    a_expr = child(AExpr, "A_Expr")
    bool_expr = child(Args, "BoolExpr")
    coalesce = child(Args, "CoalesceExpr")
    array = child(Elements, "A_ArrayExpr")
    column_ref = child(ColumnRef, "ColumnRef")
    null_test = child(NullTest, "NullTest")


# the fields that hold an Expr, set once Expr exists
FuncCall.args = children(Expr, "args")
TypeCast.arg = child(Expr, "arg")
AExpr.lexpr = child(Expr, "lexpr")
AExpr.rexpr = child(Expr, "rexpr")
Args.args = children(Expr, "args")
Elements.elements = children(Expr, "elements")
NullTest.arg = child(Expr, "arg")


# -- statements and their parts
class Constraint(Node):
    contype = ""
    conname = ""
    skip_validation = False
    indexname = ""
    generated_kind = ""
    location = -1

    expr = child(Expr, "raw_expr")


class ConstraintNode(Node):
    constraint = child(Constraint, "Constraint")


class ColumnDef(Node):
    colname = ""
    type_name = child(TypeName, "typeName")
    constraints = children(ConstraintNode, "constraints")
    raw_default = child(Present, "raw_default")  # ALTER COLUMN ... TYPE ... USING
    location = -1


class PartitionCmd(Node):
    concurrent = False


class CmdDef(Node):
    column = child(ColumnDef, "ColumnDef")
    constraint = child(Constraint, "Constraint")
    partition = child(PartitionCmd, "PartitionCmd")


class AlterTableCmd(Node):
    subtype = ""
    name = ""
    missing_ok = False
    definition = child(CmdDef, "def")


class CmdNode(Node):
    cmd = child(AlterTableCmd, "AlterTableCmd")


class TableElt(Node):
    column = child(ColumnDef, "ColumnDef")
    constraint = child(Constraint, "Constraint")


class CreateStmt(Node):
    relation = child(RangeVar, "relation")
    table_elts = children(TableElt, "tableElts")
    if_not_exists = False
    oncommit = ""


class NameList(Node):
    items = children(StringNode, "items")


class DropObject(Node):
    names = child(NameList, "List")


class IndexStmt(Node):
    idxname = ""
    relation = child(RangeVar, "relation")
    if_not_exists = False
    concurrent = False


class DropStmt(Node):
    remove_type = renamed("removeType", "")
    objects = children(DropObject, "objects")
    missing_ok = False
    concurrent = False
    behavior = ""


class AlterTableStmt(Node):
    relation = child(RangeVar, "relation")
    cmds = children(CmdNode, "cmds")
    objtype = ""


class RenameStmt(Node):
    rename_type = renamed("renameType", "")
    relation_type = renamed("relationType", "")
    relation = child(RangeVar, "relation")
    missing_ok = False


def type_name_key(names: list[StringNode]) -> tuple[str, str]:
    parts = [n.string.sval for n in names if n.string]
    return ("public", parts[-1]) if len(parts) == 1 else (parts[-2], parts[-1]) if parts else ("", "")


class CreateEnumStmt(Node):
    type_name = children(StringNode, "typeName")


class AlterEnumStmt(Node):
    type_name = children(StringNode, "typeName")
    old_val = renamed("oldVal", "")
    new_val_neighbor = renamed("newValNeighbor", "")
    skip_if_exists = renamed("skipIfNewValExists", False)


class TransactionStmt(Node):
    kind = ""


class VariableSetStmt(Node):
    name = ""


class DoDefElem(Node):
    defname = ""
    arg = child(StringNode, "arg")


class DoArg(Node):
    elem = child(DoDefElem, "DefElem")


class DoStmt(Node):
    args = children(DoArg, "args")

    @property
    def body(self) -> tuple[str, str]:
        """(language, body) of the block."""
        lang, body = "plpgsql", ""
        for a in self.args:
            if a.elem and a.elem.arg and a.elem.arg.string:
                if a.elem.defname == "as":
                    body = a.elem.arg.string.sval
                elif a.elem.defname == "language":
                    lang = a.elem.arg.string.sval
        return lang, body


class Stmt(Node):
    create = child(CreateStmt, "CreateStmt")
    index = child(IndexStmt, "IndexStmt")
    drop = child(DropStmt, "DropStmt")
    alter = child(AlterTableStmt, "AlterTableStmt")
    rename = child(RenameStmt, "RenameStmt")
    transaction = child(TransactionStmt, "TransactionStmt")
    enum = child(CreateEnumStmt, "CreateEnumStmt")
    composite = child(Present, "CompositeTypeStmt")
    domain: CreateDomainStmt | None = later("CreateDomainStmt", "CreateDomainStmt")
    range = child(Present, "CreateRangeStmt")
    alter_enum = child(AlterEnumStmt, "AlterEnumStmt")
    alter_domain: AlterDomainStmt | None = later("AlterDomainStmt", "AlterDomainStmt")
    update: UpdateStmt | None = later("UpdateStmt", "UpdateStmt")
    truncate: TruncateStmt | None = later("TruncateStmt", "TruncateStmt")
    reindex: ReindexStmt | None = later("ReindexStmt", "ReindexStmt")
    dropdb = child(Present, "DropdbStmt")
    set_schema: SetSchemaStmt | None = later("SetSchemaStmt", "AlterObjectSchemaStmt")
    variable_set = child(VariableSetStmt, "VariableSetStmt")
    do = child(DoStmt, "DoStmt")
    insert: InsertStmt | None = later("InsertStmt", "InsertStmt")
    merge: MergeStmt | None = later("MergeStmt", "MergeStmt")
    select: SelectStmt | None = later("SelectStmt", "SelectStmt")
    view: ViewStmt | None = later("ViewStmt", "ViewStmt")
    create_as: CreateTableAsStmt | None = later("CreateTableAsStmt", "CreateTableAsStmt")
    foreign_table: CreateForeignTableStmt | None = later("CreateForeignTableStmt", "CreateForeignTableStmt")
    vacuum: VacuumStmt | None = later("VacuumStmt", "VacuumStmt")
    cluster = child(Present, "ClusterStmt")

    @property
    def creates_type(self) -> bool:
        return any(n is not None for n in (self.enum, self.composite, self.domain, self.range))


class RawStmt(Node):
    stmt = required(Stmt, "stmt")
    stmt_location = 0  # in bytes of the parsed text
    stmt_len = 0  # 0: to the end of the text


class ParseResult(Node):
    stmts = children(RawStmt, "stmts")


def located(parse_json: str | bytes) -> list[RawStmt]:
    """The statements of ``pglast.parser.parse_sql_json`` output with their byte offsets, in order."""
    return read(ParseResult, parse_json).stmts
