"""lint's hand-written scanners (``core/lint/clauses.py``) against the patterns they replace, on
generated text: the same offsets and words, so findings point where they did."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from gtsd_tui.core.lint.clauses import after_name, first_word, skip_space, word_at

# the patterns as they were (compiled at every start of lint)
WS = re.compile(r"(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?(?:\*/|\Z))*", re.DOTALL)
FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*\n?|/\*.*?\*/)*([A-Za-z_]+)", re.DOTALL)
FIRST = re.compile(r"([A-Za-z_]+)")
NAME = re.compile(r'\s*(?:"(?:[^"]|"")*"|[^\s."(),;*]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s."(),;*]+))*\s*\*?')

# SQL-ish text: the characters these scanners decide on, often, among others
PIECES = st.sampled_from(
    [" ", "\t", "\n", "\u00a0", "\u2028", "-", "--", "/", "/*", "*/", "*", '"', '""', ".", ",", "(", ")", ";",
     "a", "Z", "_", "é", "1", "$", "x y", "public", "users", "ADD", "\u00e9t\u00e9"]
)  # fmt: skip
TEXT = st.lists(PIECES, max_size=24).map("".join)


def ws_end(text: str, at: int) -> int:
    m = WS.match(text, at)
    return m.end() if m else at


def first_word_re(text: str, at: int) -> str:
    """The pattern's word, where it is the first token. The pattern backtracks into a line comment
    with no word after it (``-- drop x\n(SELECT 1)`` gave ``x``), where the scanner finds none."""
    m = FIRST_WORD.match(text, at)
    return m.group(1) if m and m.start(1) == ws_end(text, at) else ""


def after_name_re(text: str, at: int) -> int:
    m = NAME.match(text, at)
    return -1 if m is None else ws_end(text, m.end())


@settings(max_examples=3000, deadline=None)
@given(TEXT, st.integers(0, 30))
def test_the_scanners_agree_with_the_patterns(text: str, at: int) -> None:
    at = min(at, len(text))
    assert skip_space(text, at) == ws_end(text, at)
    assert first_word(text, at) == first_word_re(text, at)
    m = FIRST.match(text, at)
    assert word_at(text, at) == (m.group(1) if m else "")
    assert after_name(text, at) == after_name_re(text, at)


def test_cases_a_migration_has() -> None:
    text = 'ALTER TABLE "public"."users" ADD COLUMN "x" text;'
    assert after_name(text, 12) == text.index("ADD")
    text = "ALTER TABLE ONLY t * /* all */ -- of them\n  DROP COLUMN x"
    assert after_name(text, 17) == text.index("DROP")
    assert after_name('ALTER TABLE "a""b" . c ADD', 12) == len('ALTER TABLE "a""b" . c ')
    assert after_name('ALTER TABLE "open', 12) == -1  # a quoted name not closed
    assert after_name('"a""b""', 0) == after_name_re('"a""b""', 0) == 6  # backtracks to the last pair
    assert first_word("  -- note\n/* a */ CREATE TABLE t", 0) == "CREATE"
    assert first_word("/* not closed CREATE", 0) == ""
    assert first_word("-- drop x\n(SELECT 1)", 0) == ""  # (the pattern said "x")
    assert FIRST_WORD.match("-- drop x\n(SELECT 1)").group(1) == "x"
    assert skip_space("/* x */ -- y", 0) == len("/* x */ -- y")
