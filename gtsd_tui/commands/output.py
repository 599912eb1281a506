"""Printing helpers: JSON, tables, colour only on a TTY and never with NO_COLOR."""

from __future__ import annotations

import gc
import os
import sys

from gtsd_tui.core.display import json_safe, shown

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing and the status module are not imported at start-up)
    from typing import Any

    from gtsd_tui.core.migrations.status import MigrationStatus

# colour by role: a migration state's value or a severity's, as the callers name them (``paint(x, "applied")``,
# ``paint(f.severity, f.severity)``: a member is its string)
_COLORS = {"applied": "32", "pending": "33", "modified": "35", "out-of-order": "31", "error": "31", "warning": "33"}


def use_color(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def paint(text: str, key: str, stream: Any = None) -> str:
    code = _COLORS.get(key)
    return f"\x1b[{code}m{text}\x1b[0m" if code and use_color(stream) else text


ENVELOPE_VERSION = 1  # of the fields every --json object carries (docs/cli.md: the envelope)
_command: list[str] = [""]  # the subcommand being run, named in every JSON object it prints


def set_command(name: str | None) -> None:
    _command[0] = name or ""


def envelope() -> dict[str, Any]:
    """The fields every JSON object of every command starts with: what wrote it."""
    from gtsd_tui import __version__

    return {"version": ENVELOPE_VERSION, "tool_version": __version__, "command": _command[0]}


def print_json(obj: Any, *, bulk: str | None = None) -> None:
    """Indented for a person at a terminal; one compact line (C encoder, fast) for a pipe. An object
    starts with the envelope (its own ``version`` wins where a command already had one). ``bulk``: the
    key of a long list of records holding only str, int, bool, None, lists and dicts (no float:
    msgspec writes exponents its own way), written by msgspec in json.dumps's very layout (status's
    5,000 migrations: a tenth of the time)."""
    import json

    if isinstance(obj, dict):
        obj = {**envelope(), **obj}
    indent = 2 if sys.stdout.isatty() else None
    text = _with_bulk(obj, bulk) if bulk is not None and indent is None and isinstance(obj, dict) else None
    if text is None:
        text = json.dumps(obj, indent=indent, ensure_ascii=False)
    sys.stdout.write(json_safe(text) + "\n")


def _with_bulk(obj: dict[str, Any], key: str) -> str | None:
    """``json.dumps(obj, ensure_ascii=False)``, byte for byte, with ``obj[key]`` encoded by msgspec
    (``format(indent=0)`` gives json.dumps's ", " and ": "); None when msgspec refuses it (a lone
    surrogate, an unknown type): the caller then uses json.dumps."""
    if key not in obj:
        return None
    try:
        import msgspec

        part = msgspec.json.format(msgspec.json.encode(obj[key]), indent=0).decode()
    except (ImportError, TypeError, ValueError, OverflowError):  # UnicodeEncodeError is a ValueError
        return None
    import json

    token = "gtsd-bulk-" + os.urandom(16).hex()  # a place holder no value of the rest can be
    rest = json.dumps({**obj, key: token}, ensure_ascii=False)
    return rest.replace(f'"{token}"', part, 1)


class without_gc_passes:  # noqa: N801 - used as the function it was: ``with without_gc_passes():``
    """The cyclic garbage collector paused for a short command (status, check): a 5,000-migration folder
    makes tens of thousands of objects, each few hundred of them starting a pass over every object
    alive (the imported modules' too), a third of the folder's read. Nothing these commands make is
    cyclic garbage; reference counting still frees everything. Not for the console (its threads).
    (A class: contextlib is not imported at start-up.)"""

    def __enter__(self) -> None:
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.collecting:
            gc.enable()


def fmt_ms(ms: int | None) -> str:
    if ms is None:
        return "-"
    import datetime as dt  # on the first time shown (check and the git hooks show none)

    try:
        return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return str(ms)


def state_cell(st: MigrationStatus) -> str:
    return f"{st.glyph} {st.label}"


def table(rows: list[list[str]], headers: list[str], colors: list[str] | None = None) -> str:
    rows = [[shown(c) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for i, r in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(r, widths, strict=True)]
        if colors and colors[i]:
            cells[1] = paint(cells[1], colors[i])
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def confirmed(assume_yes: bool, question: str, refusal: str) -> bool | None:
    """True to go on; False when the user said no; None (after printing ``refusal``) without a terminal."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(f"gtsd-tui: {refusal}: pass --yes (no terminal to ask)", file=sys.stderr)
        return None
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def blocked_text(b: dict[str, Any]) -> str:
    """One blocked session from ``stats``: who waits for which lock, on what, blocked by whom."""
    from gtsd_tui.services.stats_text import blocked_line

    return blocked_line(b)  # control characters escaped there


def fail(message: str, code: int, as_json: bool, hint: str | None = None) -> int:
    """``gtsd-tui: message`` on stderr (and ``{"error": ..., "exit_code": ...}`` under --json); returns
    ``code``."""
    message = shown(message)  # tags and file names in a message never reach the terminal raw
    if hint:  # on the same line: an error is one line
        message = f"{message} ({hint})"
    print(f"gtsd-tui: {message}", file=sys.stderr)
    if as_json:
        print_json({"error": message, "exit_code": code})
    return code
