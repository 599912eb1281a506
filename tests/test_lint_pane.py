"""The Pending pane's preview shows lint findings by id and severity: errors distinct from warnings."""

from __future__ import annotations

from pathlib import Path

from gtsd_tui.config import load_settings
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.widgets.sql_preview import SqlPreview
from tests.helpers.folders import make_folder

SQL = 'BEGIN;\nALTER TABLE "t" ALTER COLUMN "c" SET NOT NULL;\nCOMMIT;\n'


async def test_preview_gutter_and_notes_tell_errors_from_warnings(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "m", [("tx", SQL)])
    url = "postgresql://app@127.0.0.1:1/gtsd"  # no database: the pane lists every migration as pending
    project = Project(load_settings(cwd=folder.parent, database_url=url, migrations=str(folder), environ={}))
    backend = ConsoleBackend(project)
    preview = backend.preview(project.load_folder(), "0000_tx")
    assert preview.marks[1].startswith("error transaction-nesting")
    assert preview.marks[2].startswith("warning adding-not-nullable-field")
    # the Pending pane lists the findings in its own table (severity, line, finding), not in the plan notes
    assert any(f[:2] == (1, "error") and f[2].startswith("transaction-nesting") for f in preview.findings)
    assert any(f[:2] == (2, "warning") and f[2].startswith("adding-not-nullable-field") for f in preview.findings)
    app = GtsdApp(backend)
    async with app.run_test(size=(120, 34)) as pilot:
        for _ in range(200):
            widget = app.query_one(SqlPreview)
            if widget.marks:
                break
            await pilot.pause(0.05)
        widget = app.query_one(SqlPreview)
        widget.scroll_to(0, 0, animate=False)
        await pilot.pause()
        gutters = [widget.render_line(y).text[:8] for y in range(3)]
        assert "✖" in gutters[0] and "!" in gutters[1] and "✖" in gutters[2], gutters
