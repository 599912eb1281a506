"""SQL text in the plain shapes PostgreSQL's scanner reads without surprises, told by patterns alone.

drizzle-kit writes statements made of a few lexical shapes: runs of plain characters, line comments,
strings (``''`` inside), quoted identifiers (``""`` inside) and, in enum and constraint guards,
``DO $$ ... $$`` blocks. A text made of these alone is read here exactly as the scanner reads it
(``standard_conforming_strings`` on), so the apply path need not load the parser (pglast, a fifth of a
second) to know that a chunk is lexically complete, how many statements it holds, or that no keyword
of a statement PostgreSQL refuses inside a transaction block is in it. Anything else (a backslash, a
block comment, a ``$`` that is not plainly a dollar quote's opening) does not match: the caller asks
the scanner then.

A dollar quote is taken as one only where it cannot be the tail of an identifier or a number (``a$$``
and ``1$$`` scan otherwise): at the start of the text or after a blank, ``(``, ``)``, ``,``, ``;`` or
``=``, with an ASCII tag. It ends at the first ``$tag$`` after it, as in the scanner.
"""

from __future__ import annotations

import re

BLANK = r"[ \t\n\r\f\v]"  # PostgreSQL's blanks (Python's \s is wider)
_DOLLAR = r"(?:^|(?<=[ \t\n\r\f\v(),;=]))\$(?P<tag>(?:[A-Za-z_][A-Za-z0-9_]*+)?)\$(?s:.*?)\$(?P=tag)\$"
_QUOTED = rf"""--[^\n]*+|'[^'\\]*+(?:''[^'\\]*+)*+'|"(?:[^"]++|"")++"|{_DOLLAR}"""

# A text made only of plain shapes: it ends outside any quote, identifier, dollar quote or comment.
PLAIN = re.compile(rf"""(?:[^'"$/\\-]++|-(?!-)|/(?!\*)|{_QUOTED})*+""")
# One statement or none: the plain shapes with no ``;`` but a last one, then only blanks and line
# comments. A ``;`` inside parentheses (a rule's actions) or a ``BEGIN ATOMIC`` body never matches:
# both need one before the end.
ONE = re.compile(rf"""(?:[^'"$/\\;-]++|-(?!-)|/(?!\*)|{_QUOTED})*+;?(?:{BLANK}++|--[^\n]*+)*+""")
NONE = re.compile(rf"(?:{BLANK}++|--[^\n]*+|;)*+")  # blanks, line comments and empty statements
_QUOTED_RE = re.compile(_QUOTED)


def bare(text: str) -> str | None:
    """``text`` with its comments, strings, quoted identifiers and dollar-quoted bodies blanked out
    (what is left is keywords, names, numbers and punctuation); None when it is not plain."""
    if PLAIN.fullmatch(text) is None:
        return None
    return _QUOTED_RE.sub(" ", text)


def bare_in_place(text: str) -> str | None:
    """:func:`bare` keeping every character's offset (each blanked shape replaced by as many blanks)."""
    if PLAIN.fullmatch(text) is None:
        return None
    return _QUOTED_RE.sub(lambda m: " " * len(m.group()), text)
