"""The parts of pglast's parse tree (libpg_query's JSON) that the lint rules read, as typed structs.

msgspec decodes the JSON straight into these and skips, in C, every node and field not declared
here (storage options, most expressions, ``VALUES`` lists, ...). Decoding the whole tree with
``json.loads`` took more time than parsing the SQL; this view is what makes lint fast.
Field names are the parse tree's own (``msgspec.field(name=...)`` where Python needs another).
``location`` fields are byte offsets in the parsed text (-1 when the parser has none).
"""

from __future__ import annotations

from msgspec import Raw, Struct, field, json

from gtsd_tui.core.lint.tree_expr import Expr, Present, RangeVar, StringNode, TypeName


class Constraint(Struct, gc=False):
    contype: str = ""
    conname: str = ""
    raw_expr: Raw = Raw()  # kept as JSON (empty when absent): decoded only when a rule reads it (``expr``)
    skip_validation: bool = False
    indexname: str = ""
    generated_kind: str = ""
    location: int = -1

    @property
    def expr(self) -> Expr | None:
        return _expr_decoder.decode(self.raw_expr) if len(self.raw_expr) else None


class ConstraintNode(Struct, gc=False):
    constraint: Constraint | None = field(default=None, name="Constraint")


class ColumnDef(Struct, gc=False):
    colname: str = ""
    type_name: TypeName | None = field(default=None, name="typeName")
    constraints: list[ConstraintNode] = []
    raw_default: Present | None = None  # ALTER COLUMN ... TYPE ... USING
    location: int = -1


class PartitionCmd(Struct, gc=False):
    concurrent: bool = False


class CmdDef(Struct, gc=False):
    column: ColumnDef | None = field(default=None, name="ColumnDef")
    constraint: Constraint | None = field(default=None, name="Constraint")
    partition: PartitionCmd | None = field(default=None, name="PartitionCmd")


class AlterTableCmd(Struct, gc=False):
    subtype: str = ""
    name: str = ""
    missing_ok: bool = False
    definition: CmdDef | None = field(default=None, name="def")


class CmdNode(Struct, gc=False):
    cmd: AlterTableCmd | None = field(default=None, name="AlterTableCmd")


class TableElt(Struct, gc=False):
    column: ColumnDef | None = field(default=None, name="ColumnDef")
    constraint: Constraint | None = field(default=None, name="Constraint")


class CreateStmt(Struct, gc=False):
    relation: RangeVar | None = None
    table_elts: list[TableElt] = field(default=[], name="tableElts")
    if_not_exists: bool = False
    oncommit: str = ""


class CreateForeignTableStmt(Struct, gc=False):
    base: CreateStmt | None = None


class NameList(Struct, gc=False):
    items: list[StringNode] = []


class DropObject(Struct, gc=False):
    names: NameList | None = field(default=None, name="List")


class IndexStmt(Struct, gc=False):
    idxname: str = ""
    relation: RangeVar | None = None
    if_not_exists: bool = False
    concurrent: bool = False


class DropStmt(Struct, gc=False):
    remove_type: str = field(default="", name="removeType")
    objects: list[DropObject] = []
    missing_ok: bool = False
    concurrent: bool = False
    behavior: str = ""


class AlterTableStmt(Struct, gc=False):
    relation: RangeVar | None = None
    cmds: list[CmdNode] = []
    objtype: str = ""


class RenameStmt(Struct, gc=False):
    rename_type: str = field(default="", name="renameType")
    relation_type: str = field(default="", name="relationType")
    relation: RangeVar | None = None
    missing_ok: bool = False


def type_name_key(names: list[StringNode]) -> tuple[str, str]:
    parts = [n.string.sval for n in names if n.string]
    return ("public", parts[-1]) if len(parts) == 1 else (parts[-2], parts[-1]) if parts else ("", "")


class CreateEnumStmt(Struct, gc=False):
    type_name: list[StringNode] = field(default=[], name="typeName")


class AlterEnumStmt(Struct, gc=False):
    type_name: list[StringNode] = field(default=[], name="typeName")
    old_val: str = field(default="", name="oldVal")
    new_val_neighbor: str = field(default="", name="newValNeighbor")
    skip_if_exists: bool = field(default=False, name="skipIfNewValExists")


class TransactionStmt(Struct, gc=False):
    kind: str = ""


class ResTarget(Struct, gc=False):
    name: str = ""
    indirection: list[Present] = []  # a[1] = ..., a.x = ...: a part of the column
    val: Expr | None = None
    location: int = -1


class ResTargetNode(Struct, gc=False):
    target: ResTarget | None = field(default=None, name="ResTarget")


class UpdateStmt(Struct, gc=False):
    target_list: list[ResTargetNode] = field(default=[], name="targetList")


class OnConflict(Struct, gc=False):
    target_list: list[ResTargetNode] = field(default=[], name="targetList")


class InsertStmt(Struct, gc=False):
    cols: list[ResTargetNode] = []
    on_conflict: OnConflict | None = field(default=None, name="onConflictClause")


class MergeWhen(Struct, gc=False):
    target_list: list[ResTargetNode] = field(default=[], name="targetList")
    command_type: str = field(default="", name="commandType")


class MergeWhenNode(Struct, gc=False):
    clause: MergeWhen | None = field(default=None, name="MergeWhenClause")


class MergeStmt(Struct, gc=False):
    clauses: list[MergeWhenNode] = field(default=[], name="mergeWhenClauses")


class IntoClause(Struct, gc=False):
    rel: RangeVar | None = None


class SelectStmt(Struct, gc=False):
    into: IntoClause | None = field(default=None, name="intoClause")
    target_list: list[ResTargetNode] = field(default=[], name="targetList")


class SelectNode(Struct, gc=False):
    select: SelectStmt | None = field(default=None, name="SelectStmt")


class ViewStmt(Struct, gc=False):
    view: RangeVar | None = None
    aliases: list[StringNode] = []
    query: SelectNode | None = None


class CreateTableAsStmt(Struct, gc=False):
    into: IntoClause | None = None
    objtype: str = ""


class VacuumStmt(Struct, gc=False):
    options: list[DefElemNode] = []
    is_vacuumcmd: bool = False


class TruncateStmt(Struct, gc=False):
    behavior: str = ""


class DefElem(Struct, gc=False):
    defname: str = ""
    arg: Raw = Raw()  # VACUUM (FULL false): read only by prefer-repack


class DefElemNode(Struct, gc=False):
    elem: DefElem | None = field(default=None, name="DefElem")


class ReindexStmt(Struct, gc=False):
    kind: str = ""
    params: list[DefElemNode] = []


class AlterDomainStmt(Struct, gc=False):
    subtype: str = ""


class CreateDomainStmt(Struct, gc=False):
    constraints: list[ConstraintNode] = []


class SetSchemaStmt(Struct, gc=False):
    object_type: str = field(default="", name="objectType")
    relation: RangeVar | None = None


class VariableSetStmt(Struct, gc=False):
    name: str = ""


class DoDefElem(Struct, gc=False):
    defname: str = ""
    arg: StringNode | None = None


class DoArg(Struct, gc=False):
    elem: DoDefElem | None = field(default=None, name="DefElem")


class DoStmt(Struct, gc=False):
    args: list[DoArg] = []

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


class Stmt(Struct, gc=False):
    create: CreateStmt | None = field(default=None, name="CreateStmt")
    index: IndexStmt | None = field(default=None, name="IndexStmt")
    drop: DropStmt | None = field(default=None, name="DropStmt")
    alter: AlterTableStmt | None = field(default=None, name="AlterTableStmt")
    rename: RenameStmt | None = field(default=None, name="RenameStmt")
    transaction: TransactionStmt | None = field(default=None, name="TransactionStmt")
    enum: CreateEnumStmt | None = field(default=None, name="CreateEnumStmt")
    composite: Present | None = field(default=None, name="CompositeTypeStmt")
    domain: CreateDomainStmt | None = field(default=None, name="CreateDomainStmt")
    range: Present | None = field(default=None, name="CreateRangeStmt")
    alter_enum: AlterEnumStmt | None = field(default=None, name="AlterEnumStmt")
    alter_domain: AlterDomainStmt | None = field(default=None, name="AlterDomainStmt")
    update: UpdateStmt | None = field(default=None, name="UpdateStmt")
    truncate: TruncateStmt | None = field(default=None, name="TruncateStmt")
    reindex: ReindexStmt | None = field(default=None, name="ReindexStmt")
    dropdb: Present | None = field(default=None, name="DropdbStmt")
    set_schema: SetSchemaStmt | None = field(default=None, name="AlterObjectSchemaStmt")
    variable_set: VariableSetStmt | None = field(default=None, name="VariableSetStmt")
    do: DoStmt | None = field(default=None, name="DoStmt")
    insert: InsertStmt | None = field(default=None, name="InsertStmt")
    merge: MergeStmt | None = field(default=None, name="MergeStmt")
    select: SelectStmt | None = field(default=None, name="SelectStmt")
    view: ViewStmt | None = field(default=None, name="ViewStmt")
    create_as: CreateTableAsStmt | None = field(default=None, name="CreateTableAsStmt")
    foreign_table: CreateForeignTableStmt | None = field(default=None, name="CreateForeignTableStmt")
    vacuum: VacuumStmt | None = field(default=None, name="VacuumStmt")
    cluster: Present | None = field(default=None, name="ClusterStmt")

    @property
    def creates_type(self) -> bool:
        return any(n is not None for n in (self.enum, self.composite, self.domain, self.range))


class RawStmt(Struct, gc=False):
    stmt: Stmt
    stmt_location: int = 0  # in bytes of the parsed text
    stmt_len: int = 0  # 0: to the end of the text


class ParseResult(Struct, gc=False):
    stmts: list[RawStmt] = []


_decoder = json.Decoder(ParseResult)
_expr_decoder = json.Decoder(Expr)


def located(parse_json: str | bytes) -> list[RawStmt]:
    """The statements of ``pglast.parser.parse_sql_json`` output with their byte offsets, in order."""
    return _decoder.decode(parse_json).stmts
