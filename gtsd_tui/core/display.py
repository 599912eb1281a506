"""Text from files and the database, made safe to show: control characters escaped.

A tag, a file name or an application name can hold any character; written raw to a terminal,
``ESC`` starts a sequence that can recolour, move the cursor, retitle the window or overwrite what
was printed before it. Every output escapes C0 and C1 controls, DEL and the bidirectional
overrides as ``\\xNN`` / ``\\uNNNN``, so what is shown is what the file holds.
"""

from __future__ import annotations

import re
from functools import cache

# lone surrogates (from a JSON "\ud800" or an undecodable file name) cannot even be written as UTF-8
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_JSON_RAW = "[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"  # json.dumps escapes C0


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """Compiled on first use (about a millisecond each): a check that prints nothing compiles neither."""
    return re.compile(pattern)


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def _plain(text: str) -> bool:
    """Printable ASCII only (space to ``~``): nothing of ``_UNSAFE`` in it, known without compiling it
    (the pattern's Unicode ranges take most of a millisecond to compile: a hook's whole output is
    usually plain)."""
    return text.isascii() and text.isprintable()


def shown(text: str) -> str:
    """``text`` with every control character escaped (newlines and tabs too: it is one field)."""
    if _plain(text):
        return text
    unsafe = _compiled(_UNSAFE)
    return unsafe.sub(_escape, text) if unsafe.search(text) else text


def shown_all(texts: list[str]) -> list[str]:
    """``shown`` of each; one search over all of them when none needs escaping (5,000 tags: the usual)."""
    joined = "/".join(texts)
    if _plain(joined) or not _compiled(_UNSAFE).search(joined):
        return texts
    return [shown(t) for t in texts]


def json_safe(dumped: str) -> str:
    """A JSON text with the controls json.dumps leaves raw (DEL, C1, bidi overrides) as ``\\uNNNN``."""
    if dumped.isascii() and "\x7f" not in dumped:  # the one of them ASCII holds
        return dumped
    raw = _compiled(_JSON_RAW)
    return raw.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped) if raw.search(dumped) else dumped
