"""The parts of pglast's parse tree (libpg_query's JSON) that the lint rules read, as typed views.

Each class is a view over one decoded JSON object (``node``): only the nodes a rule reads are
wrapped, on first read; storage options, most expressions, ``VALUES`` lists, ... are never looked at.
Field names are the parse tree's own (``child``/``children``/``renamed`` name the key where Python
needs another). ``location`` fields are byte offsets in the parsed text (-1 when the parser has none).
"""

from __future__ import annotations

from gtsd_tui.core.lint.node import Node, child, children, raw, read, renamed, required
from gtsd_tui.core.lint.tree_expr import Expr, Present, RangeVar, StringNode, TypeName


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


class CreateForeignTableStmt(Node):
    base = child(CreateStmt, "base")


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


class ResTarget(Node):
    name = ""
    indirection = children(Present, "indirection")  # a[1] = ..., a.x = ...: a part of the column
    val = child(Expr, "val")
    location = -1


class ResTargetNode(Node):
    target = child(ResTarget, "ResTarget")


class UpdateStmt(Node):
    target_list = children(ResTargetNode, "targetList")


class OnConflict(Node):
    target_list = children(ResTargetNode, "targetList")


class InsertStmt(Node):
    cols = children(ResTargetNode, "cols")
    on_conflict = child(OnConflict, "onConflictClause")


class MergeWhen(Node):
    target_list = children(ResTargetNode, "targetList")
    command_type = renamed("commandType", "")


class MergeWhenNode(Node):
    clause = child(MergeWhen, "MergeWhenClause")


class MergeStmt(Node):
    clauses = children(MergeWhenNode, "mergeWhenClauses")


class IntoClause(Node):
    rel = child(RangeVar, "rel")


class SelectStmt(Node):
    into = child(IntoClause, "intoClause")
    target_list = children(ResTargetNode, "targetList")


class SelectNode(Node):
    select = child(SelectStmt, "SelectStmt")


class ViewStmt(Node):
    view = child(RangeVar, "view")
    aliases = children(StringNode, "aliases")
    query = child(SelectNode, "query")


class CreateTableAsStmt(Node):
    into = child(IntoClause, "into")
    objtype = ""


class TruncateStmt(Node):
    behavior = ""


class DefElem(Node):
    defname = ""
    arg = raw("arg")  # VACUUM (FULL false): read only by prefer-repack


class DefElemNode(Node):
    elem = child(DefElem, "DefElem")


class VacuumStmt(Node):
    options = children(DefElemNode, "options")
    is_vacuumcmd = False


class ReindexStmt(Node):
    kind = ""
    params = children(DefElemNode, "params")


class AlterDomainStmt(Node):
    subtype = ""


class CreateDomainStmt(Node):
    constraints = children(ConstraintNode, "constraints")


class SetSchemaStmt(Node):
    object_type = renamed("objectType", "")
    relation = child(RangeVar, "relation")


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
    domain = child(CreateDomainStmt, "CreateDomainStmt")
    range = child(Present, "CreateRangeStmt")
    alter_enum = child(AlterEnumStmt, "AlterEnumStmt")
    alter_domain = child(AlterDomainStmt, "AlterDomainStmt")
    update = child(UpdateStmt, "UpdateStmt")
    truncate = child(TruncateStmt, "TruncateStmt")
    reindex = child(ReindexStmt, "ReindexStmt")
    dropdb = child(Present, "DropdbStmt")
    set_schema = child(SetSchemaStmt, "AlterObjectSchemaStmt")
    variable_set = child(VariableSetStmt, "VariableSetStmt")
    do = child(DoStmt, "DoStmt")
    insert = child(InsertStmt, "InsertStmt")
    merge = child(MergeStmt, "MergeStmt")
    select = child(SelectStmt, "SelectStmt")
    view = child(ViewStmt, "ViewStmt")
    create_as = child(CreateTableAsStmt, "CreateTableAsStmt")
    foreign_table = child(CreateForeignTableStmt, "CreateForeignTableStmt")
    vacuum = child(VacuumStmt, "VacuumStmt")
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
