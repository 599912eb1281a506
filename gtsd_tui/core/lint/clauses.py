"""Where a clause starts: the parse tree has no location for an ALTER TABLE action or for keywords
such as CONCURRENTLY or CASCADE, so the statement's tokens (PostgreSQL's own scanner, through pglast)
are read to point a finding at the clause it is about, as squawk does. Also names longer than 63
bytes: the parser has already cut them, the scanner's tokens have them whole."""

from __future__ import annotations

import re

from gtsd_tui.core.sql.pglast_load import lint_parser

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter

Token = tuple[int, int, str]  # (file offset, file offset past the end, scanner's token name)
MAX_IDENTIFIER = 63
# Where a name over 63 bytes may be: a run of 64 identifier characters, or a quoted name of 64 without
# white space (a quoted name with spaces that long is not looked for: the pattern would otherwise match
# the SQL between two quoted names). A character of a non-ASCII file may take 4 bytes: 16 there.
LONG_NAME = r'(?<![\w$])[\w$]{64,}|"(?:[^"\s]|""){64,}"'
LONG_NAME_UTF8 = r'(?<![\w$])[\w$]{16,}|"(?:[^"\s]|""){16,}"'
_long_name: dict[str, re.Pattern[str]] = {}  # compiled when a word is long enough to hold one


def long_name_starts(text: str) -> list[int]:
    """Where a name over 63 bytes may start, in file order: usually none, and no statement is scanned."""
    ascii_ = text.isascii()
    limit, source = (64, LONG_NAME) if ascii_ else (16, LONG_NAME_UTF8)
    # a name of 64 characters is in a word of 64 or more: the words are split at C speed, the pattern
    # tried on the long ones, and on the whole text only when one of them holds such a name
    words = text.split()
    if not words or max(map(len, words)) < limit:
        return []
    pattern = _long_name.get(source) or _long_name.setdefault(source, re.compile(source))
    if not any(pattern.search(w) for w in words if len(w) >= limit):
        return []
    return [m.start() for m in pattern.finditer(text)]


_COMMA, _OPEN, _CLOSE = "ASCII_44", "ASCII_40", "ASCII_41"
_NAME_PARTS = {"IDENT", "ASCII_46", "ASCII_42"}  # name, '.', '*' (ALTER TABLE t* ...)


def tokens(lint: Linter) -> list[Token]:
    """The current statement's tokens, with file offsets (cached until the next statement)."""
    if lint._tokens is not None:
        return lint._tokens
    parser = lint_parser()

    text, start = lint.text, lint.first
    end = lint.end if lint.end > start else _guess_end(text, start)
    piece = text[start:end]
    out: list[Token] = []
    try:
        scanned = parser.scan(piece)
    except parser.ParseError:
        scanned = []
    if piece.isascii():
        out = [(start + t.start, start + t.end + 1, t.name) for t in scanned]
    else:
        raw = piece.encode()
        for t in scanned:
            a = len(raw[: t.start].decode("utf-8", "ignore"))
            b = len(raw[: t.end + 1].decode("utf-8", "ignore"))
            out.append((start + a, start + b, t.name))
    lint._tokens = out
    return out


def _guess_end(text: str, start: int) -> int:
    semi = text.find(";", start)
    return len(text) if semi < 0 else semi + 1


# Scanned by hand below, where a pattern would be compiled at every start of lint (about 0.8 million
# instructions for these few, more than a lint of one file spends in them): tests/test_lint_scanners.py
# holds each pattern they replace and compares the two on generated text.
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_NOT_IN_NAME = '."(),;*'


def skip_space(text: str, at: int) -> int:
    """Past white space and comments from ``at``: ``--`` to the end of its line, ``/*`` to the first
    ``*/`` (or the end of the text)."""
    n = len(text)
    while at < n:
        c = text[at]
        if c.isspace():
            at += 1
        elif c == "-" and text.startswith("-", at + 1):
            nl = text.find("\n", at + 2)
            at = n if nl < 0 else nl + 1
        elif c == "/" and text.startswith("*", at + 1):
            close = text.find("*/", at + 2)
            at = n if close < 0 else close + 2
        else:
            break
    return at


def word_at(text: str, at: int) -> str:
    """The run of ASCII letters and underscores starting at ``at`` (empty when there is none)."""
    end, n = at, len(text)
    while end < n and text[end] in _LETTERS:
        end += 1
    return text[at:end]


def first_word(text: str, at: int) -> str:
    """The first word after white space and comments from ``at`` (empty when something else comes first,
    or nothing: a comment not closed runs to the end)."""
    return word_at(text, skip_space(text, at))


def _spaces(text: str, at: int) -> int:
    n = len(text)
    while at < n and text[at].isspace():
        at += 1
    return at


def _name_part(text: str, at: int) -> int:
    """Past one part of a name at ``at``: ``"quoted"`` (``""`` inside) or a run of characters other than
    white space and ``."(),;*``; -1 when there is none."""
    n = len(text)
    if at < n and text[at] == '"':
        i, pair = at + 1, -1
        while True:
            q = text.find('"', i)
            if q < 0:  # not closed: as the pattern backtracks, the last doubled quote's first half closes it
                return pair + 1 if pair >= 0 else -1
            if text.startswith('"', q + 1):
                pair, i = q, q + 2
            else:
                return q + 1
    i = at
    while i < n and not text[i].isspace() and text[i] not in _NOT_IN_NAME:
        i += 1
    return i if i > at else -1


def after_name(text: str, at: int) -> int:
    """Past the (qualified) name at ``at``, a ``*`` after it (``ALTER TABLE t* ...``), and the white space
    and comments that follow: where the first ALTER TABLE action starts; -1 when no name is there."""
    end = _name_part(text, _spaces(text, at))
    if end < 0:
        return -1
    while True:
        dot = _spaces(text, end)
        if not text.startswith(".", dot):
            break
        part = _name_part(text, _spaces(text, dot + 1))
        if part < 0:
            break
        end = part
    end = _spaces(text, end)
    if text.startswith("*", end):
        end += 1
    return skip_space(text, end)


def alter_actions(lint: Linter, relation_at: int, count: int) -> list[int]:
    """File offsets of each action of the current ALTER TABLE, in the parse tree's order: the first
    token after the table's name, then the first after each comma outside parentheses. One action
    (the usual case) is found past the name without scanning."""
    if relation_at < 0:
        return []
    if count == 1:
        end = after_name(lint.text, relation_at)
        if end >= 0:
            return [end]
    toks = tokens(lint)
    i = 0
    while i < len(toks) and toks[i][0] < relation_at:
        i += 1
    while i < len(toks) and toks[i][2] in _NAME_PARTS:
        i += 1
    if i >= len(toks):
        return []
    out, depth = [toks[i][0]], 0
    for at, _end, name in toks[i:]:
        if name == _OPEN:
            depth += 1
        elif name == _CLOSE:
            depth -= 1
        elif name == _COMMA and depth == 0:
            out.append(-1)
        elif out[-1] == -1:
            out[-1] = at
    return [a for a in out if a >= 0]


def _index(toks: list[Token], at: int) -> int:
    i = 0
    while i < len(toks) and toks[i][0] < at:
        i += 1
    return i


def next_token(lint: Linter, at: int) -> int:
    """The token after the one at ``at`` (DEFAULT's expression, ADD's constraint)."""
    toks = tokens(lint)
    i = _index(toks, at) + 1
    return toks[i][0] if i < len(toks) else at


def column_option(lint: Linter, action_at: int) -> int:
    """In ``ALTER [COLUMN] name <option>``, where the option starts (TYPE, SET NOT NULL, DROP DEFAULT...)."""
    toks = tokens(lint)
    i = _index(toks, action_at)
    if i < len(toks) and toks[i][2] == "ALTER":
        i += 1
    if i < len(toks) and toks[i][2] == "COLUMN":
        i += 1
    i += 1  # the column's name
    return toks[i][0] if i < len(toks) else action_at


def keyword(lint: Linter, name: str) -> int:
    """File offset of the statement's first token ``name`` (a scanner name: CONCURRENTLY, CASCADE...),
    else the statement's start."""
    for at, _end, tok in tokens(lint):
        if tok == name:
            return at
    return lint.first


def long_identifiers(lint: Linter) -> list[tuple[int, str]]:
    """(file offset, name) of every identifier of the statement longer than 63 bytes."""
    out = []
    text = lint.text
    for at, end, name in tokens(lint):
        if name != "IDENT" or end - at <= MAX_IDENTIFIER // 4:
            continue
        raw = text[at:end]
        ident = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw.lower()
        if len(ident.encode()) > MAX_IDENTIFIER:
            out.append((at, ident))
    return out
