"""Normalisation for drift: the spellings of one definition on both sides made equal.

Types (``varchar`` / ``character varying``, ``timestamp (3)`` / ``timestamp(3)``), defaults without
their casts (``'x'::text`` / ``'x'``, ``'9.99'`` / ``9.99``), and expressions (index columns and
predicates, checks, generated columns) printed back by PostgreSQL's own parser (pglast) without table
qualifiers and casts: ``"users"."deleted_at" is null`` and ``(deleted_at IS NULL)`` are one text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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
    typ = str(col.get("type", "")).strip()
    if col.get("typeSchema"):  # an enum: case kept, qualified
        base, dims = _split_array(typ.strip('"'))
        return f"{col['typeSchema']}.{base.strip(chr(34))}{dims}"
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
    text = str(value).strip()
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


@lru_cache(maxsize=4096)
def norm_expr(text: str) -> str:
    """An SQL expression printed back by PostgreSQL's parser, without table qualifiers and casts."""
    import pglast
    from pglast import ast
    from pglast.stream import RawStream
    from pglast.visitors import Visitor

    class _Plain(Visitor):
        def visit_ColumnRef(self, ancestors: Any, node: Any) -> Any:  # noqa: N802 - pglast's name
            if len(node.fields) > 1:
                return ast.ColumnRef(fields=(node.fields[-1],))
            return None

        def visit_TypeCast(self, ancestors: Any, node: Any) -> Any:  # noqa: N802
            return node.arg

    try:
        tree: Any = pglast.parse_sql("SELECT " + text)[0].stmt
        _Plain()(tree)
        return str(RawStream()(tree.targetList[0].val))
    except Exception:  # noqa: BLE001 - a text the parser refuses is compared as written
        return re.sub(r"\s+", " ", text.strip()).lower()


def strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text
