"""Git conflict markers: find them and rebuild the two sides of a conflicted text."""

from __future__ import annotations

from gtsd_tui.core.record import FrozenRecord


class Sides(FrozenRecord):
    _fields = ("ours", "theirs", "first_marker_line")

    ours: str
    theirs: str
    first_marker_line: int  # 1-based

    def __init__(self, ours: str, theirs: str, first_marker_line: int) -> None:
        self.ours = ours
        self.theirs = theirs
        self.first_marker_line = first_marker_line


_TOKENS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")


def _marker_candidates(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line starting with a marker token, found with str.find (C speed: a
    snapshot runs to megabytes, and a regex tried at every position is far slower)."""
    out: list[tuple[int, int]] = []
    for tok in _TOKENS:
        at = 0 if text.startswith(tok) else text.find("\n" + tok) + 1
        while at > 0 or (at == 0 and text.startswith(tok)):
            end = text.find("\n", at)
            out.append((at, len(text) if end < 0 else end + 1))
            nxt = text.find("\n" + tok, at + 1)
            if nxt < 0:
                break
            at = nxt + 1
    out.sort()
    return out


def _is_marker_line(line: str) -> bool:
    bare = line.rstrip("\r\n")
    return len(bare) == 7 or bare[7] == " "


def marker_lines(text: str) -> list[int]:
    """1-based lines that hold a git conflict marker (``<<<<<<<``, ``|||||||``, ``=======``, ``>>>>>>>``)."""
    if "<<<<<<<" not in text and ">>>>>>>" not in text:
        return []
    out: list[int] = []
    line, pos = 1, 0
    for start, end in _marker_candidates(text):
        if _is_marker_line(text[start:end]):
            line += text.count("\n", pos, start)
            pos = start
            out.append(line)
    return out


_NEXT = {("<<<<<<<", "both"): "ours", ("|||||||", "ours"): "base", ("=======", "ours"): "theirs"}
_NEXT.update({("=======", "base"): "theirs", (">>>>>>>", "theirs"): "both"})


def split_sides(text: str) -> Sides | None:
    """The "ours" and "theirs" versions of a text with conflict markers (diff3 style too).

    Returns None when the text has no complete conflict block.
    """
    ours: list[str] = []
    theirs: list[str] = []
    state, first, pos = "both", 0, 0
    for start, end in _marker_candidates(text):
        tok = text[start : start + 7]
        if tok == "=======" and text[start:end].rstrip("\r\n") != "=======":
            continue
        new = _NEXT.get((tok, state))
        if new is None:
            continue  # a marker-like line where it means nothing: content
        segment = text[pos:start]
        if state in ("both", "ours"):
            ours.append(segment)
        if state in ("both", "theirs"):
            theirs.append(segment)
        if new == "ours" and not first:
            first = text.count("\n", 0, start) + 1
        state, pos = new, end
    if not first or state != "both":
        return None
    ours.append(text[pos:])
    theirs.append(text[pos:])
    return Sides("".join(ours), "".join(theirs), first)
