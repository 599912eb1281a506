"""How a file is parsed for lint: chunks as drizzle-orm sends them, one parser call where that means
the same, positions mapped back to the file, ignore comments, settings. The rules live in
``statements``, ``tables`` and ``columns``."""

from __future__ import annotations

import functools
import gc
import re

from gtsd_tui.core.lint.clauses import first_word, long_identifiers, long_name_starts, skip_space
from gtsd_tui.core.lint.config import Settings
from gtsd_tui.core.lint.rules import RULES, expand
from gtsd_tui.core.lint.tree import RawStmt, Stmt, located
from gtsd_tui.core.migrations.hashing import BREAKPOINT, split_chunks
from gtsd_tui.core.record import Record
from gtsd_tui.core.sql.pglast_load import lint_parser
from gtsd_tui.core.vocab import Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

HEADER = ("-- Migration:", "-- Created:", "-- Description:")
# `-- squawk-ignore a,b`, `/* squawk-ignore a */`, and gtsd-tui's own `-- gtsd-lint: ignore a`
IGNORE = r"(?:--|/\*)\s*(?:squawk-ignore|gtsd-lint:\s*ignore)(?![-\w])[ \t]*([\w\-, \t]*)"
IGNORE_FILE = r"(?:--|/\*)\s*(?:squawk-ignore-file|gtsd-lint:\s*ignore-file)(?![-\w])[ \t]*([\w\-, \t]*)"


@functools.cache
def compiled(pattern: str) -> re.Pattern[str]:
    """A pattern compiled on first use: the ignore comments' and the long names' are needed only by
    a file holding such a comment or such a word (a lint run's start compiles neither)."""
    return re.compile(pattern)


ALL = frozenset(RULES)


class LintFinding(Record):
    """One finding: compares and prints by its fields, in this order (``to_json`` keeps it)."""

    __slots__ = ("column", "file", "line", "message", "rule", "safe", "severity")
    _fields = ("rule", "severity", "file", "line", "column", "message", "safe")

    def __init__(self, rule: str, severity: Severity, file: str, line: int, column: int, message: str, safe: str):
        self.rule, self.severity, self.file, self.line = rule, severity, file, line
        self.column, self.message, self.safe = column, message, safe

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "safe": self.safe,
        }


# Statements whose first word is one of these can break a rule; the rest (INSERT, SELECT, ...) are
# checked for syntax only, which keeps lint fast on data-heavy migrations.
_RULE_WORDS = {
    "create", "alter", "drop", "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release",
    "update", "truncate", "reindex", "do", "set",
}  # fmt: skip
# Up to this size an ASCII file is parsed to trees in one pass; bigger files (data loads, mostly)
# are split first so that only the statements a rule may read get a tree, in batches (memory).
ONE_PASS_MAX = 1 << 20
BATCH = 2000
_SEPARATOR = "\n;\n"  # joins statements for one parser call; the newline ends a trailing -- comment


@functools.lru_cache(maxsize=8)
def enabled_rules(settings: Settings) -> frozenset[str]:
    """The rules a setting turns on: built once per setting, not per file."""
    return frozenset(r for r in RULES if settings.enabled(r))


def _ignore_names(found: str) -> frozenset[str]:
    names = [n for n in re.split(r"[,\s]+", found) if n]
    return frozenset(expand(names)) if names else ALL


class Linter:
    def __init__(self, path: str, text: str, hand_written: bool, settings: Settings) -> None:
        from gtsd_tui.core.lint.state import FileState

        self.path, self.text, self.hand_written, self.settings = path, text, hand_written, settings
        self.found: list[LintFinding] = []
        self.state = FileState(settings)
        self.statements = 0
        self._cursor = (0, 1)  # (offset, line): findings mostly come in file order
        self.file_ignored: frozenset[str] = frozenset()
        self._has_ignores = "ignore" in text
        if "ignore-file" in text:
            for m in compiled(IGNORE_FILE).finditer(text):
                self.file_ignored |= _ignore_names(m.group(1))
        # the statement being checked: its first token, the parsed text's offset of that token's
        # statement, whether byte offsets equal character offsets, and its ignore comments
        self.first = 0
        self._file_start = 0
        self._parsed_start = 0
        self._ascii = True
        self._ignored: frozenset[str] | None = None
        self.in_do = False
        self.end = -1  # file offset past the current statement (-1: unknown)
        self._tokens: list[tuple[int, int, str]] | None = None
        self.long_names = long_name_starts(text)
        self.enabled = enabled_rules(settings) - self.file_ignored

    # positions -------------------------------------------------------------------------------
    def begin(self, file_start: int, parsed_start: int, ascii_: bool, end: int = -1) -> None:
        self._file_start, self._parsed_start, self._ascii = file_start, parsed_start, ascii_
        self.first = skip_space(self.text, file_start)
        self.end = end
        self._ignored = None
        self._tokens = None

    def at(self, loc: int) -> int:
        """File offset of a parse-tree ``location`` of the current statement (its start when -1)."""
        if loc < 0:
            return self.first
        n = loc - self._parsed_start
        if not self._ascii:
            n = len(self.text[self._file_start : self._file_start + n].encode()[:n].decode("utf-8", "ignore"))
        return max(self.first, self._file_start + n)

    def add(self, rule: str, offset: int, message: str) -> None:
        if rule not in self.enabled:
            return
        if self._has_ignores:
            if self._ignored is None:
                self._ignored = self._statement_ignores()
            if rule in self._ignored:
                return
        text = self.text
        at, line = self._cursor
        if offset >= at:
            line += text.count("\n", at, offset)
        else:  # a finding earlier in the statement than the last one: count back, never from the top
            line -= text.count("\n", offset, at)
        self._cursor = (offset, line)
        start = text.rfind("\n", 0, offset) + 1
        r = RULES[rule]
        self.found.append(LintFinding(rule, r.severity, self.path, line, offset - start + 1, message, r.safe))

    def _statement_ignores(self) -> frozenset[str]:
        """Ignore comments on the lines above the statement (blank and comment lines may come between)
        and on its first line."""
        text, out = self.text, frozenset[str]()
        line_end = text.find("\n", self.first)
        first_line = text[text.rfind("\n", 0, self.first) + 1 : len(text) if line_end < 0 else line_end]
        end = text.rfind("\n", 0, self.first)
        lines = [first_line]
        while end > 0:
            start = text.rfind("\n", 0, end) + 1
            line = text[start:end].strip()
            if line and not line.startswith(("--", "/*")) and not line.endswith("*/"):
                break
            lines.append(line)
            end = start - 1
        for line in lines:
            if "ignore" in line:
                for m in compiled(IGNORE).finditer(line):
                    out |= _ignore_names(m.group(1))
        return out

    # parsing ---------------------------------------------------------------------------------
    def run(self) -> list[LintFinding]:
        # lint makes many small objects and no cycles: the cyclic collector only costs time here
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if enabled:
                gc.enable()

    def _run(self) -> list[LintFinding]:
        parser = lint_parser()

        if self.hand_written and not all(h in self.text[:2000] for h in HEADER):
            self.add("missing-header", 0, "hand-written migration without the guide's header")
        if len(self.text) <= ONE_PASS_MAX and self.text.isascii():
            if self.one_pass():
                return self.finish()
            spans = None  # the parser refused the whole file, or a statement crosses a breakpoint
        else:
            spans = self.whole_file_spans()
        if spans is None:  # parse chunk by chunk, exactly as drizzle-orm sends them
            spans = []
            for chunk in split_chunks(self.text):
                if chunk.is_blank:
                    continue
                try:
                    part = parser.split(chunk.text, only_slices=True)  # the real parser: syntax checked here
                except parser.ParseError:
                    spans += self.recover(chunk.text, chunk.offset)
                    continue
                spans += [slice(sp.start + chunk.offset, sp.stop + chunk.offset) for sp in part]
        self.statements = len(spans)
        text = self.text
        wanted = [sp for sp in spans if first_word(text, sp.start).lower() in _RULE_WORDS]
        for i in range(0, len(wanted), BATCH):
            self.trees(wanted[i : i + BATCH])
        return self.finish()

    def recover(self, text: str, offset: int) -> list[slice]:
        """A chunk the parser refuses: cut it at its top-level semicolons (PostgreSQL's own scanner, so
        quotes, comments and dollar bodies are respected), report each statement that does not parse
        as a syntax-error and keep the others, so one bad statement does not hide the rest."""
        parser = lint_parser()

        try:
            tokens = parser.scan(text)
        except parser.ParseError as exc:  # not even tokens (an unterminated quote): the chunk is lost
            self._syntax_error(text, offset, exc)
            return []
        raw = text.encode()
        ends = [t.end + 1 for t in tokens if t.name == "ASCII_59"]
        if not ends or ends[-1] < len(raw):
            ends.append(len(raw))
        spans, start = [], 0
        for end in ends:
            piece = raw[start:end].decode("utf-8", "ignore")
            at = offset + len(raw[:start].decode("utf-8", "ignore"))
            start = end
            if not piece.strip(" \t\r\n;"):
                continue
            try:
                found = parser.split(piece, only_slices=True)
            except parser.ParseError as exc:
                self._syntax_error(piece, at, exc)
                continue
            spans += [slice(sp.start + at, sp.stop + at) for sp in found]
        return spans

    def _syntax_error(self, text: str, offset: int, exc: Exception) -> None:
        message, where = (exc.args + (0,))[:2]
        at = offset + len(text.encode()[: int(where or 0)].decode("utf-8", "ignore"))
        self.begin(offset, 0, True)
        self.add("syntax-error", at, str(message))

    def finish(self) -> list[LintFinding]:
        from gtsd_tui.core.lint.statements import finish

        finish(self)
        return self.found

    def one_pass(self) -> bool:
        """Trees of the whole file from one parser call; False (nothing recorded) when the file does
        not parse or a statement spans a breakpoint. Byte offsets are character offsets: ASCII only."""
        parser = lint_parser()

        text = self.text
        try:
            raws = located(parser.parse_sql_json(text))
        except parser.ParseError:
            return False
        spans = [slice(r.stmt_location, r.stmt_location + r.stmt_len if r.stmt_len else len(text)) for r in raws]
        if _crosses_breakpoint(text, spans):
            return False
        self.statements = len(raws)
        for raw in raws:
            end = raw.stmt_location + raw.stmt_len if raw.stmt_len else len(text)
            self.begin(raw.stmt_location, raw.stmt_location, True, end)
            self.statement(raw.stmt)
        return True

    def whole_file_spans(self) -> list[slice] | None:
        """Statements of the whole file in one parser call (the breakpoint marker is a SQL comment),
        used only when it means the same as parsing each chunk."""
        parser = lint_parser()

        try:
            spans = parser.split(self.text, only_slices=True)
        except parser.ParseError:
            return None
        return None if _crosses_breakpoint(self.text, spans) else list(spans)

    def trees(self, spans: list[slice]) -> None:
        """Parse the statements that may break a rule, all in one call, and check their trees."""
        parser = lint_parser()

        text = self.text
        pieces = [text[sp] for sp in spans]
        raws: list[RawStmt] = located(parser.parse_sql_json(_SEPARATOR.join(pieces)))
        ascii_ = text.isascii()
        starts, at = [], 0
        for p in pieces:
            starts.append(at)
            at += (len(p) if ascii_ else len(p.encode())) + len(_SEPARATOR)
        if len(raws) != len(spans):  # cannot happen for spans the parser cut, but never misplace a finding
            raws = [located(parser.parse_sql_json(p))[0] for p in pieces]
            starts = [0] * len(pieces)
        for sp, raw, start in zip(spans, raws, starts, strict=True):
            self.begin(sp.start, start, ascii_, sp.stop)
            self.statement(raw.stmt)

    def _may_have_long_name(self) -> bool:
        import bisect  # (a file with a word long enough to hold a name over 63 bytes: rare)

        end = self.end if self.end > self.first else len(self.text)
        i = bisect.bisect_left(self.long_names, self.first)
        return i < len(self.long_names) and self.long_names[i] < end

    def statement(self, s: Stmt) -> None:
        from gtsd_tui.core.lint.statements import check

        self.state.count += 1
        if self.long_names and "identifier-too-long" in self.enabled and self._may_have_long_name():
            for at, name in long_identifiers(self):
                self.add("identifier-too-long", at, f"{name[:20]}... is over 63 bytes: PostgreSQL truncates it")
        check(self, s)


def _crosses_breakpoint(text: str, spans: Sequence[slice]) -> bool:
    """Does a statement span a breakpoint marker? drizzle-orm would cut it there."""
    return BREAKPOINT in text and any(text.find(BREAKPOINT, sp.start, sp.stop) >= 0 for sp in spans)
