"""The rarer statements of the lint parse tree's views (``tree``): DML (UPDATE, INSERT, MERGE, SELECT
INTO), views, CREATE TABLE AS, foreign tables, TRUNCATE, VACUUM, REINDEX, domains, SET SCHEMA.

Declared as ``tree``'s are, in a module of their own: a view class costs about 70,000 instructions to
make, and a migration of tables, indexes and types holds none of these, so ``lint`` of one such file
(a pre-commit hook's) does not make them. ``Stmt`` names them with :func:`tree.later`; the lint package
loads this module when a parse tree first holds one (``gtsd_tui/core/lint/__init__.py``)."""

from __future__ import annotations

from gtsd_tui.core.lint.tree import (
    ConstraintNode,
    CreateStmt,
    Expr,
    Node,
    Present,
    RangeVar,
    StringNode,
    child,
    children,
    raw,
    renamed,
)


class CreateForeignTableStmt(Node):
    base = child(CreateStmt, "base")


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
