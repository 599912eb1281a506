"""The console's apply (the same service as ``migrate``) shows what a migration's own ROLLBACK did."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.tui.screens.confirm import ConfirmScreen
from tests.test_migrate_own_tx import BP, project, state
from tests.test_tui import keys, make_app, wait_for

pytestmark = [pytest.mark.pg, pytest.mark.node]

# t1, then ROLLBACK (line 3), then t2 and its row, each its own chunk (as test_migrate_own_rollback's)
MORE_AFTER = BP.join(
    ["CREATE TABLE t1 (id int);\n", "ROLLBACK;\n", "CREATE TABLE t2 (id int);\n", "INSERT INTO t2 VALUES (1);\n"]
)


async def test_console_apply_names_the_rollback_and_what_stayed(tmp_path: Path, pg_url: str) -> None:
    """The console applies per file: the ROLLBACK undoes its own migration's statements above it (t1),
    the rows stay; the log's last line and a warning name the ROLLBACK at ``file:line:col``, and the
    panes show what the table holds."""
    p = project(tmp_path, [("rb", MORE_AFTER)])
    app = make_app(p.folder, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 2)
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: keys(app, "#history-table") == ["0000_init", "0001_rb"], timeout=30)
        assert keys(app, "#pending-table") == []
        last = app.pending.log_lines[-1]
        assert last.startswith("✓ applied 2 migration(s); its own ROLLBACK undid part of it: "), last
        assert f"{p.folder / '0001_rb.sql'}:3:1: ROLLBACK undid what ran before it in this migration's" in last
        warned = [n.message for n in app._notifications if n.severity == "warning"]
        assert any("0001_rb.sql:3:1: ROLLBACK undid" in m for m in warned), warned
    assert state(pg_url)["tables"] == {"users": 0, "t2": 1}
