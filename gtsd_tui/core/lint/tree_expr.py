"""The expression and name nodes of the parse tree view (``tree``): constants, casts, function calls,
operators, column references, type names and relation names, as libpg_query's JSON spells them."""

from __future__ import annotations

from gtsd_tui.core.lint.node import Node, child, children


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
