"""Write small Drizzle v0 folders for tests: journal, .sql files and a linked snapshot chain."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from gtsd_tui.core.migrations.snapshots import empty_snapshot

ORIGIN = "00000000-0000-0000-0000-000000000000"


def snapshot(sid: str, prev: str) -> dict:
    return empty_snapshot(sid, prev)


def make_folder(
    path: Path, migrations: list[tuple[str, str]], start_when: int = 1_790_000_000_000, step: int = 1000
) -> Path:
    """``migrations`` = [(suffix, sql)]; tags are numbered 0000.. in order."""
    (path / "meta").mkdir(parents=True, exist_ok=True)
    entries = []
    prev = ORIGIN
    for i, (suffix, text) in enumerate(migrations):
        tag = f"{i:04d}_{suffix}"
        (path / f"{tag}.sql").write_text(text)
        sid = str(uuid.uuid4())
        (path / "meta" / f"{i:04d}_snapshot.json").write_text(json.dumps(snapshot(sid, prev), indent=2))
        prev = sid
        entries.append({"idx": i, "version": "7", "when": start_when + i * step, "tag": tag, "breakpoints": True})
    write_journal(path, entries)
    return path


def write_journal(path: Path, entries: list[dict]) -> None:
    (path / "meta" / "_journal.json").write_text(
        json.dumps({"version": "7", "dialect": "postgresql", "entries": entries}, indent=2)
    )


def journal(path: Path) -> dict:
    return json.loads((path / "meta" / "_journal.json").read_text())
