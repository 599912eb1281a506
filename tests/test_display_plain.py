"""``core/display``'s plain-text shortcut (printable ASCII needs no escaping, so the Unicode pattern is
not compiled for a hook's usual output): every text is shown, and every JSON text made safe, as the
patterns alone make them."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from gtsd_tui.core import display

UNSAFE = re.compile(display._UNSAFE)
JSON_RAW = re.compile(display._JSON_RAW)
# every character class the patterns tell apart: ASCII (DEL and the C0 controls among them), C1, the
# bidirectional marks and overrides, lone surrogates, and the rest of Unicode
CHARS = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x7F),
    st.characters(min_codepoint=0x80, max_codepoint=0xA0),
    st.sampled_from("\u061c\u200e\u200f\u202a\u202e\u2066\u2069\ud800\udfff\u00e9\u4e2d\U0001f600"),
)
TEXTS = st.text(alphabet=CHARS, max_size=40)


def by_pattern(text: str) -> str:
    return UNSAFE.sub(display._escape, text)


@given(TEXTS)
def test_shown_is_the_patterns_escaping(text: str) -> None:
    assert display.shown(text) == by_pattern(text)


@given(st.lists(TEXTS, max_size=6))
def test_shown_all_is_shown_of_each(texts: list[str]) -> None:
    assert display.shown_all(texts) == [by_pattern(t) for t in texts]


@given(TEXTS)
def test_json_safe_is_the_patterns(text: str) -> None:
    want = JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    assert display.json_safe(text) == want


def test_plain_ascii_compiles_nothing() -> None:
    """The shortcut itself: printable ASCII (file names, messages, JSON of them) is returned as it is
    without compiling either pattern; a control character still is escaped."""
    display._compiled.cache_clear()
    assert display.shown("migrations/0001_onboarding.sql:3:1 ~") == "migrations/0001_onboarding.sql:3:1 ~"
    assert display.shown_all(["a", "b c"]) == ["a", "b c"]
    assert display.json_safe('{"a": "b"}') == '{"a": "b"}'
    assert display._compiled.cache_info().currsize == 0
    assert display.shown("a\x1b[2Jb\x7f") == "a\\x1b[2Jb\\x7f"
    assert display.json_safe('"\x7f"') == '"\\u007f"'
