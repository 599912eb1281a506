"""print_json's bulk list (status's migrations) written by msgspec: the same bytes as json.dumps."""

from __future__ import annotations

import json

import pytest

from gtsd_tui.commands import output
from gtsd_tui.core.display import json_safe
from gtsd_tui.core.migrations.status import MigrationState

EVERY_CHAR = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000)


def _records() -> list[dict[str, object]]:
    return [
        {
            "tag": EVERY_CHAR[i * 1000 : (i + 1) * 1000],
            "idx": i,
            "file": None,
            "when": 10**29 + i,  # longer than 64 bits: a journal may hold 30 digits
            "hash": "a" * 64,
            "state": MigrationState.PENDING,
            "restamped": i % 2 == 0,
            "created_at": -i,
            "notes": ['"quoted", with: separators', "\x7f\u202e\x85 raw controls", ""],
            "edit": {"edit": None, "statement_diff": [], "nested": [{}, [[]]]},
        }
        for i in range(0, len(EVERY_CHAR) // 1000 + 1)
    ]


def _printed(capsys: pytest.CaptureFixture[str], obj: dict[str, object], bulk: str | None) -> str:
    output.print_json(obj, bulk=bulk)
    return capsys.readouterr().out


def test_the_bulk_list_is_written_as_json_dumps_writes_it(capsys: pytest.CaptureFixture[str]) -> None:
    obj = {"version": 1, "migrations_dir": "/tmp/x, y: z", "migrations": _records(), "warnings": ["w"]}
    fast = _printed(capsys, obj, "migrations")
    slow = _printed(capsys, obj, None)
    assert fast == slow
    assert fast == json_safe(json.dumps({**output.envelope(), **obj}, ensure_ascii=False)) + "\n"


def test_what_msgspec_refuses_goes_through_json_dumps(capsys: pytest.CaptureFixture[str]) -> None:
    obj = {"migrations": [{"tag": "lone \udc80 surrogate"}]}  # a name read with surrogateescape
    assert output._with_bulk({**output.envelope(), **obj}, "migrations") is None
    assert _printed(capsys, obj, "migrations") == _printed(capsys, obj, None)
