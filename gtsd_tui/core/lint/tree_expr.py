"""The expression and name nodes of the parse tree view (``tree``): constants, casts, function calls,
operators, column references, type names and relation names, as libpg_query's JSON spells them."""

from __future__ import annotations

from msgspec import Struct, field


class Present(Struct, gc=False):
    """A node whose kind is all a rule needs to know."""


class RangeVar(Struct, gc=False):
    relname: str = ""
    schemaname: str = ""
    relpersistence: str = "p"
    location: int = -1


class Sval(Struct, gc=False):
    sval: str = ""


class StringNode(Struct, gc=False):
    string: Sval | None = field(default=None, name="String")


def _last(names: list[StringNode]) -> str:
    last = names[-1].string if names else None
    return last.sval if last else ""


class AConst(Struct, gc=False):
    isnull: bool = False


class Ival(Struct, gc=False):
    ival: int = 0


class ModConst(Struct, gc=False):
    ival: Ival | None = None


class TypMod(Struct, gc=False):
    a_const: ModConst | None = field(default=None, name="A_Const")

    @property
    def value(self) -> int:
        return self.a_const.ival.ival if self.a_const and self.a_const.ival else -1


class TypeName(Struct, gc=False):
    names: list[StringNode] = []
    typmods: list[TypMod] = []
    location: int = -1

    @property
    def name(self) -> str:
        return _last(self.names)


class FuncCall(Struct, gc=False):
    funcname: list[StringNode] = []
    args: list[Expr] = []

    @property
    def name(self) -> str:
        return _last(self.funcname)


class TypeCast(Struct, gc=False):
    arg: Expr | None = None
    type_name: TypeName | None = field(default=None, name="typeName")


class AExpr(Struct, gc=False):
    lexpr: Expr | None = None
    rexpr: Expr | None = None


class Args(Struct, gc=False):
    args: list[Expr] = []


class Elements(Struct, gc=False):
    elements: list[Expr] = []


class ColumnRef(Struct, gc=False):
    fields: list[StringNode] = []


class NullTest(Struct, gc=False):
    arg: Expr | None = None
    nulltesttype: str = ""


class Expr(Struct, gc=False):
    a_const: AConst | None = field(default=None, name="A_Const")
    type_cast: TypeCast | None = field(default=None, name="TypeCast")
    func_call: FuncCall | None = field(default=None, name="FuncCall")
    sql_value: Present | None = field(default=None, name="SQLValueFunction")
    a_expr: AExpr | None = field(default=None, name="A_Expr")
    bool_expr: Args | None = field(default=None, name="BoolExpr")
    coalesce: Args | None = field(default=None, name="CoalesceExpr")
    array: Elements | None = field(default=None, name="A_ArrayExpr")
    column_ref: ColumnRef | None = field(default=None, name="ColumnRef")
    null_test: NullTest | None = field(default=None, name="NullTest")
