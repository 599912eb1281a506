"""The parts of pglast's parse tree (libpg_query's JSON) that the lint rules read, as typed structs.

msgspec decodes the JSON straight into these and skips, in C, every node and field not declared
here (column types, expressions, storage options, ...). Decoding the whole tree with ``json.loads``
took more time than parsing the SQL; this view is what makes lint run at tens of MB/s.
Field names are the parse tree's own (``msgspec.field(name=...)`` where Python needs another).
"""

from __future__ import annotations

from msgspec import Struct, field, json


class RangeVar(Struct):
    relname: str = ""


class Sval(Struct):
    sval: str = ""


class StringNode(Struct):
    string: Sval | None = field(default=None, name="String")


class FuncCall(Struct):
    funcname: list[StringNode] = []

    @property
    def name(self) -> str:
        last = self.funcname[-1].string if self.funcname else None
        return last.sval if last else ""


class Expr(Struct):
    func_call: FuncCall | None = field(default=None, name="FuncCall")


class Constraint(Struct):
    contype: str = ""
    raw_expr: Expr | None = None
    skip_validation: bool = False


class ConstraintNode(Struct):
    constraint: Constraint | None = field(default=None, name="Constraint")


class ColumnDef(Struct):
    constraints: list[ConstraintNode] = []


class CmdDef(Struct):
    column: ColumnDef | None = field(default=None, name="ColumnDef")
    constraint: Constraint | None = field(default=None, name="Constraint")


class AlterTableCmd(Struct):
    subtype: str = ""
    name: str = ""
    missing_ok: bool = False
    definition: CmdDef | None = field(default=None, name="def")


class CmdNode(Struct):
    cmd: AlterTableCmd | None = field(default=None, name="AlterTableCmd")


class CreateStmt(Struct):
    relation: RangeVar | None = None
    if_not_exists: bool = False


class IndexStmt(Struct):
    idxname: str = ""
    relation: RangeVar | None = None
    if_not_exists: bool = False
    concurrent: bool = False


class DropStmt(Struct):
    remove_type: str = field(default="", name="removeType")
    missing_ok: bool = False
    concurrent: bool = False


class AlterTableStmt(Struct):
    relation: RangeVar | None = None
    cmds: list[CmdNode] = []


class Present(Struct):
    """A node whose kind is all a rule needs to know."""


class Stmt(Struct):
    create: CreateStmt | None = field(default=None, name="CreateStmt")
    index: IndexStmt | None = field(default=None, name="IndexStmt")
    drop: DropStmt | None = field(default=None, name="DropStmt")
    alter: AlterTableStmt | None = field(default=None, name="AlterTableStmt")
    rename: Present | None = field(default=None, name="RenameStmt")
    transaction: Present | None = field(default=None, name="TransactionStmt")
    enum: Present | None = field(default=None, name="CreateEnumStmt")
    composite: Present | None = field(default=None, name="CompositeTypeStmt")
    domain: Present | None = field(default=None, name="CreateDomainStmt")
    range: Present | None = field(default=None, name="CreateRangeStmt")

    @property
    def creates_type(self) -> bool:
        return any(n is not None for n in (self.enum, self.composite, self.domain, self.range))


class RawStmt(Struct):
    stmt: Stmt
    stmt_location: int = 0  # in bytes of the parsed text
    stmt_len: int = 0  # 0: to the end of the text


class ParseResult(Struct):
    stmts: list[RawStmt] = []


_decoder = json.Decoder(ParseResult)


def statements(parse_json: str | bytes) -> list[Stmt]:
    """The statements of ``pglast.parser.parse_sql_json`` output, in order."""
    return [raw.stmt for raw in _decoder.decode(parse_json).stmts]


def located(parse_json: str | bytes) -> list[RawStmt]:
    """The statements with their byte offsets."""
    return _decoder.decode(parse_json).stmts
