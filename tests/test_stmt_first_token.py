"""Where a statement's first token starts: the text skipped without a scan when no comment comes first,
and the same offset as pglast's scanner gives in every case."""

from __future__ import annotations

import pytest
from pglast.parser import scan

from gtsd_tui.core.sql.stmt_split import display_text, first_token

TEXTS = [
    "  SELECT 1;",
    '\n\t\nALTER TABLE "users" ADD COLUMN "c" integer;',
    "-- a comment\nSELECT 1",
    "/* block */ CREATE INDEX i ON t (c);",
    "\n\n-- one\n-- two\n  ALTER TABLE x ALTER COLUMN v SET DATA TYPE bigint;",
    "  /* a */ -- b\n /* c */ DROP TABLE t;",
    "  ;",
    "SELECT '--not a comment'",
]


def scanner_offset(text: str) -> int:
    for tok in scan(text):
        if tok.name not in ("SQL_COMMENT", "C_COMMENT"):
            return int(tok.start)
    return len(text) - len(text.lstrip())


@pytest.mark.parametrize("text", TEXTS)
def test_first_token_is_where_the_scanner_puts_it(text: str) -> None:
    assert first_token(text) == scanner_offset(text)


def test_display_text_drops_leading_comments_and_the_final_semicolon() -> None:
    text = "\n-- add it\nALTER TABLE t ADD COLUMN c int;\n"
    start, shown = display_text(text)
    assert text[start:].startswith("ALTER TABLE") and shown == "ALTER TABLE t ADD COLUMN c int"
    assert display_text("   \n") == (4, "")
