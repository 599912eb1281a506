"""The console's Conflicts pane on a real git merge whose branches clash: the detail view shows
base / ours / theirs side by side, and renumber refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.helpers.git import add_migration, base_repo, git
from tests.test_tui import keys, make_app, wait_for

pytestmark = pytest.mark.pg


def add_status(folder: Path, suffix: str, sql_type: str, snap_type: str, when: int) -> None:
    """A migration as drizzle-kit writes it: the SQL and a snapshot holding the new column."""
    tag = add_migration(folder, suffix, f'ALTER TABLE "users" ADD COLUMN "status" {sql_type};', when)
    path = folder / "meta" / f"{tag.split('_', 1)[0]}_snapshot.json"
    snap = json.loads(path.read_text())
    cols = snap["tables"]["public.users"]["columns"]
    cols["status"] = {"name": "status", "type": snap_type, "primaryKey": False, "notNull": False}
    path.write_text(json.dumps(snap, indent=2))


def clashing_repo(tmp: Path, sample: Path) -> Path:
    repo = base_repo(tmp, sample)
    for branch, sql_type, when in (("a", "text", 1_800_000_000_000), ("b", "integer", 1_800_000_100_000)):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        add_status(repo / "migrations", f"status_{sql_type}", sql_type, sql_type, when)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", branch)
    git(repo, "checkout", "-q", "a")
    assert git(repo, "merge", "-q", "b", "--no-edit", check=False).returncode != 0
    return repo


async def test_clash_detail_shows_three_sides_and_renumber_refuses(sample: Path, tmp_path: Path, pg_url: str) -> None:
    from gtsd_tui.tui.screens.conflict_detail import ConflictDetailScreen
    from gtsd_tui.tui.screens.error import ErrorScreen

    repo = clashing_repo(tmp_path, sample)
    before = {p: p.read_bytes() for p in (repo / "migrations").rglob("*") if p.is_file()}
    app = make_app(repo / "migrations", pg_url)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: app.state is not None and any(f.code == "schema-conflict" for f in (app.state.findings or [])),
        )
        index = next(i for i, f in enumerate(app.state.findings) if f.code == "schema-conflict")
        await pilot.press("3")
        table = app.query_one("#conflicts-table")
        table._move_to(keys(app, "#conflicts-table").index(f"f{index}"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDetailScreen))
        sides = {w.id: w for w in app.screen.query(".conflict-side")}
        assert set(sides) == {"conflict-base", "conflict-ours", "conflict-theirs"}

        texts = app.screen.texts
        assert '"type": "text"' in texts["ours"] and '"type": "integer"' in texts["theirs"]
        assert texts["base"] == "(absent)"
        assert all(s.query_one(".conflict-body", Static) for s in sides.values())
        assert "users.status" in str(app.screen.query_one("#dialog-title").render())
        await pilot.press("escape", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
    after = {p: p.read_bytes() for p in (repo / "migrations").rglob("*") if p.is_file()}
    assert after == before
