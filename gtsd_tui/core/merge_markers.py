"""Git conflict markers: find them and rebuild the two sides of a conflicted text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARK = re.compile(r"^(<{7}|\|{7}|={7}|>{7})(?: .*)?$")


@dataclass(frozen=True)
class Sides:
    ours: str
    theirs: str
    first_marker_line: int  # 1-based


def marker_lines(text: str) -> list[int]:
    """1-based lines that hold a git conflict marker (``<<<<<<<``, ``|||||||``, ``=======``, ``>>>>>>>``)."""
    if "<<<<<<<" not in text and ">>>>>>>" not in text:
        return []
    return [n for n, line in enumerate(text.splitlines(), 1) if _MARK.match(line)]


def split_sides(text: str) -> Sides | None:
    """The "ours" and "theirs" versions of a text with conflict markers (diff3 style too).

    Returns None when the text has no complete conflict block.
    """
    ours: list[str] = []
    theirs: list[str] = []
    state = "both"
    first = 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        bare = line.rstrip("\r\n")
        if bare.startswith("<<<<<<<") and state == "both":
            state, first = "ours", first or n
        elif bare.startswith("|||||||") and state == "ours":
            state = "base"
        elif bare == "=======" and state in ("ours", "base"):
            state = "theirs"
        elif bare.startswith(">>>>>>>") and state == "theirs":
            state = "both"
        elif state == "both":
            ours.append(line)
            theirs.append(line)
        elif state == "ours":
            ours.append(line)
        elif state == "theirs":
            theirs.append(line)
    if not first or state != "both":
        return None
    return Sides("".join(ours), "".join(theirs), first)
