"""Normalisation for drift: the spellings of one definition on both sides made equal.

Types (``varchar`` / ``character varying``, ``timestamp (3)`` / ``timestamp(3)``), defaults without
their casts (``'x'::text`` / ``'x'``, ``'9.99'`` / ``9.99``), and expressions (index columns and
predicates, checks, generated columns) read by PostgreSQL's own parser (pglast's JSON parse tree,
no Python tree built) without table qualifiers and casts: ``"users"."deleted_at" is null`` and
``(deleted_at IS NULL)`` are one key.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from gtsd_tui.core.sql.pglast_load import ensure_pglast

_TYPE_SYNONYMS = {
    "character varying": "varchar",
    "character": "char",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "float8": "double precision",
    "float4": "real",
    "bool": "boolean",
    "decimal": "numeric",
    "timestamp without time zone": "timestamp",
    "time without time zone": "time",
    "timestamptz": "timestamp with time zone",
    "timetz": "time with time zone",
    "bit varying": "varbit",
}


def norm_type(col: dict[str, Any]) -> str:
    return _norm_type(str(col.get("type", "")).strip(), col.get("typeSchema") or None)


@lru_cache(maxsize=4096)
def _norm_type(typ: str, type_schema: str | None) -> str:
    if type_schema:  # an enum: case kept, qualified
        base, dims = _split_array(typ.strip('"'))
        return f"{type_schema}.{base.strip(chr(34))}{dims}"
    base, dims = _split_array(typ.lower())
    base = re.sub(r"\s+", " ", base)
    base = re.sub(r"\s*\(\s*", "(", base)
    base = re.sub(r"\s*,\s*", ",", base)
    base = re.sub(r"\s*\)", ")", base)
    m = re.fullmatch(r"([a-z ]+?)(\(\d+(?:,\d+)?\))?( with(?:out)? time zone)?", base)
    if m:
        name, mod, zone = m.group(1), m.group(2) or "", m.group(3) or ""
        name = _TYPE_SYNONYMS.get(name + zone, _TYPE_SYNONYMS.get(name, name) + zone)
        if mod and " with" in name:  # timestamp with time zone(3) -> timestamp(3) with time zone
            head, _, tail = name.partition(" with")
            base = f"{head}{mod} with{tail}"
        else:
            base = name + mod
    if base in ("numeric(0)",):
        base = "numeric"
    return base + dims


def _split_array(typ: str) -> tuple[str, str]:
    dims = ""
    while typ.endswith("[]"):
        typ, dims = typ[:-2].rstrip(), dims + "[]"
    return typ, dims


_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|[A-Za-z_][\w]*)(?:\s*\.\s*(?:\"[^\"]+\"|[A-Za-z_]\w*))?"
    r"(?:\s+(?:varying|precision|with(?:out)?\s+time\s+zone))*(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?"
    r"(?:\s*\[\])*\s*$"
)


def norm_default(value: Any) -> str | None:
    """A default as a comparable text: ``'x'::text`` and ``'x'`` alike, ``'9.99'`` and ``9.99`` alike."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _norm_default_text(str(value))


@lru_cache(maxsize=8192)
def _norm_default_text(value: str) -> str:
    text = value.strip()
    while True:
        stripped = _CAST.sub("", text).strip()
        if stripped == text:
            break
        text = stripped
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    m = re.fullmatch(r"'(-?\d+(?:\.\d+)?)'", text)
    if m:
        text = m.group(1)
    if re.fullmatch(r"[A-Za-z_][\w]*\(\)", text) or text.upper() in (
        "CURRENT_TIMESTAMP",
        "CURRENT_DATE",
        "TRUE",
        "FALSE",
    ):
        text = text.lower()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


_LOCATION = re.compile(r',"location":-?\d+|"location":-?\d+,?')
_QUALIFIERS = re.compile(r'(\{"ColumnRef":\{"fields":\[)(?:\{"String":\{"sval":"(?:[^"\\]|\\.)*"\}\},)+')
_TOKEN = re.compile(r'\\.|"|[{}\[\]]')
_CAST_HEAD, _CAST_TYPE = '{"TypeCast":{"arg":', ',"typeName":'


@lru_cache(maxsize=8192)
def norm_expr(text: str) -> str:
    """An SQL expression as PostgreSQL's parser reads it (its parse tree as JSON, from pglast's C
    parser), without positions, table qualifiers and casts: ``"users"."deleted_at" is null`` and
    ``(deleted_at IS NULL)`` give one text. A text the parser refuses is compared as written (spaces
    collapsed, lower case)."""
    ensure_pglast()
    from pglast.parser import ParseError, parse_sql_json

    try:
        tree = parse_sql_json("SELECT " + text)
    except ParseError:
        return re.sub(r"\s+", " ", text.strip()).lower()
    tree = _LOCATION.sub("", tree)
    tree = _drop_casts(tree)
    tree = _QUALIFIERS.sub(r"\1", tree)
    return tree[tree.find('"stmts"') :]  # without the parser's version


def _drop_casts(tree: str) -> str:
    """Each ``{"TypeCast":{"arg":X,"typeName":T}}`` replaced by X (positions already gone)."""
    while (i := tree.find(_CAST_HEAD)) >= 0:
        a = i + len(_CAST_HEAD)
        b = _value_end(tree, a)
        if b < 0 or not tree.startswith(_CAST_TYPE, b):
            return tree
        c = _value_end(tree, b + len(_CAST_TYPE))
        if c < 0 or not tree.startswith("}}", c):
            return tree
        tree = tree[:i] + tree[a:b] + tree[c + 2 :]
    return tree


def _value_end(tree: str, start: int) -> int:
    """The end of the JSON object or array starting at ``start`` (-1 when it does not close)."""
    depth, in_string = 0, False
    for m in _TOKEN.finditer(tree, start):
        t = m.group()
        if in_string:
            in_string = t != '"'
        elif t == '"':
            in_string = True
        elif t in "{[":
            depth += 1
        elif t in "}]":
            depth -= 1
            if depth == 0:
                return m.end()
    return -1


def strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text
