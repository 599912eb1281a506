"""Targets files: one URL per line, optional name=, comments; every error names file:line, no password."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.core.fleets.targets import parse_targets, read_targets
from gtsd_tui.errors import InputError

TEXT = """\
# tenants on the main server
postgresql://app:pw-one@db1:5432/tenant_a
beta = postgres://app@db1/tenant_b?sslmode=require   # the beta tenant

  gamma=postgresql://app@db2:6432/tenant_a
"""


def test_names_urls_and_sources() -> None:
    got = parse_targets(TEXT, "t.txt")
    assert [(t.name, t.source) for t in got] == [("tenant_a", "t.txt:2"), ("beta", "t.txt:3"), ("gamma", "t.txt:5")]
    assert got[1].url == "postgres://app@db1/tenant_b?sslmode=require"
    assert got[0].masked_url == "postgresql://app:***@db1:5432/tenant_a"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "postgresql://u:hunter22@h/a\npostgresql://u:hunter22@h/a\n",
            "t.txt:2: postgresql://u:***@h/a is the same database as line 1",
        ),
        ("x=postgresql://h/a\nx=postgresql://h/b\n", "t.txt:2: duplicate target name 'x' (first on line 1)"),
        ("postgresql://h1/a\npostgresql://h2/a\n", "t.txt:2: duplicate target name 'a' (first on line 1)"),
        ("\n\nmysql://h/a\n", "t.txt:3: expected [name=]postgresql://"),
        ("host=h dbname=a password=hunter22\n", "t.txt:1: expected [name=]postgresql://"),
        ("postgresql://u:hunter22@h\n", "t.txt:1: postgresql://u:***@h names no database"),
        ("postgresql://u:hunter22@h:99999999/a\n", "t.txt:1: "),
        ("a b=postgresql://h/a\n", "t.txt:1: expected"),
    ],
)
def test_refusals_name_file_line_and_never_the_password(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_targets(text, "t.txt")
    assert str(err.value).startswith(message), str(err.value)
    assert "hunter22" not in str(err.value)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("# nothing yet\n\n")
    with pytest.raises(InputError, match="no targets"):
        read_targets(tmp_path / "t.txt")
    with pytest.raises(InputError, match="targets file not found"):
        read_targets(tmp_path / "missing.txt")
    (tmp_path / "bad.txt").write_bytes(b"postgresql://h/\xff\n")
    with pytest.raises(InputError, match="cannot read"):
        read_targets(tmp_path / "bad.txt")
