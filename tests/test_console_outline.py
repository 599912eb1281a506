"""The console's first frame with data (issue 27): the folder's tags, from a listing that reads no SQL,
in the order drizzle-orm runs them, shown in Pending as "reading" while the database is read; the state
replaces them when it arrives (applied ones move to History) and nothing is ever called pending or
applied before the state says so."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.core.migrations import digest_cache
from gtsd_tui.core.migrations import folder as folder_mod
from gtsd_tui.core.migrations.folder import load_folder, outline
from gtsd_tui.services.folder_space import sibling_dir
from gtsd_tui.services.project import Project

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_TAGS = ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]
DITTOFEED = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dittofeed" / "drizzle"


def no_sql_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any read or hash of a migration's SQL fails the test."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("outline read a migration's SQL")

    monkeypatch.setattr(digest_cache, "digest_file", refuse)  # every digest of the folder model is made there
    monkeypatch.setattr(folder_mod, "read_file", lambda p: refuse() if str(p).endswith(".sql") else real_read(p))
    monkeypatch.setattr(folder_mod.DigestCache, "digest", refuse)


real_read = folder_mod.read_file


def test_the_outline_is_load_folders_order_without_reading_sql(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """drizzle-kit's sample folder and the dittofeed corpus as they are; then the sample with a file the
    journal does not list (drizzle-orm never runs it; load_folder lists it after the journal's) and a
    journal entry whose file is missing: the same tags in the same order as load_folder."""
    folders = [sample]
    if DITTOFEED.is_dir():
        folders.append(Path(shutil.copytree(DITTOFEED, tmp_path / "dittofeed")))
    odd = Path(shutil.copytree(sample, tmp_path / "odd"))
    (odd / "0009_orphan.sql").write_text("SELECT 1;\n")
    (odd / "0001_onboarding.sql").unlink()
    expected = {f: [m.tag for m in load_folder(f).migrations] for f in [*folders, odd]}
    assert expected[sample] == SAMPLE_TAGS
    assert expected[odd][-1] == "0009_orphan" and "0001_onboarding" in expected[odd]
    no_sql_read(monkeypatch)
    for f, tags in expected.items():
        assert outline(f) == tags, f


def test_a_journal_with_gits_markers_has_no_outline(sample: Path) -> None:
    """Mid-merge the journal needs git's index to be read: no outline, the full read says what it is."""
    journal = sample / "meta" / "_journal.json"
    ours = journal.read_text().rstrip("\n") + "\n"
    theirs = ours.replace("0003_today_checklist", "0003_their_change")
    journal.write_text(f"<<<<<<< ours\n{ours}=======\n{theirs}>>>>>>> theirs\n")
    assert load_folder(sample).journal.conflicted  # type: ignore[union-attr]
    assert outline(sample) is None


def test_no_outline_while_a_renumber_left_its_workspace(sample: Path) -> None:
    """A renumber under way (or interrupted) may have moved files: the listing could be half of it; the
    full read recovers or waits first, so the first frame waits for it."""
    project = Project(load_settings(cwd=sample.parent, migrations=str(sample), environ={}))
    assert project.outline() == SAMPLE_TAGS
    sibling_dir(sample).mkdir()
    assert project.outline() is None
    missing = Project(load_settings(cwd=sample.parent, migrations=str(sample / "nope"), environ={}))
    assert missing.outline() is None


@pytest.mark.node
def test_the_outline_of_a_drizzle_v1_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Drizzle 1.0 folder made by drizzle-kit rc.5: one folder per migration, in drizzle-orm's order."""
    from tests.helpers.node_v1 import generate_v1

    project = tmp_path / "v1"
    project.mkdir()
    head = 'import { pgTable, serial, text } from "drizzle-orm/pg-core";\n'
    users = 'export const users = pgTable("users", { id: serial("id").primaryKey(), name: text("name") });\n'
    (project / "schema.ts").write_text(head + users)
    generate_v1(project, "init")
    posts = 'export const posts = pgTable("posts", { id: serial("id").primaryKey() });\n'
    (project / "schema.ts").write_text(head + users + posts)
    generate_v1(project, "add_posts")
    folder = project / "drizzle"
    tags = [m.tag for m in load_folder(folder).migrations]
    assert len(tags) == 2 and tags[0].endswith("_init") and tags[1].endswith("_add_posts")
    no_sql_read(monkeypatch)
    assert outline(folder) == tags


class HeldBack:
    """A fake console whose child has sent the folder's tags but not its state yet (released by ``go``);
    ``late``: the tags are not there at the mount either, they come to the waiting worker."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, late: bool = False) -> None:
        from tests.helpers.fake_console import FakeConsole

        monkeypatch.chdir(ROOT)
        self.fake = FakeConsole(ROOT / "migrations", applied=["0000_initial_schema", "0001_onboarding"])
        self.go = threading.Event()
        self.first = (self.fake.refresh(), self.fake.watch_signature())
        self.tags: list[str] | None = list(SAMPLE_TAGS)
        self.late = late
        monkeypatch.setattr(self.fake, "outline", self.outline)
        monkeypatch.setattr(self.fake, "prefetched", self.prefetched)

    def outline(self, *, wait: bool = False) -> list[str] | None:
        if self.late and not wait:
            return None
        tags, self.tags = self.tags, None
        return tags

    def prefetched(self, *, wait: bool = False) -> object:
        if not wait:
            return None
        self.go.wait(30)
        return self.first


@pytest.mark.parametrize("late", [False, True], ids=["at-mount", "from-worker"])
@pytest.mark.parametrize("size", [(80, 24), (120, 34)], ids=["80x24", "120x34"])
async def test_the_first_frame_lists_the_tags_before_the_state_arrives(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], late: bool
) -> None:
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.screens.main import MainScreen
    from gtsd_tui.tui.widgets.header import HeaderBar
    from gtsd_tui.tui.widgets.rows import RowTable

    held = HeldBack(monkeypatch, late=late)
    composed_at_outline: list[bool] = []
    show_outline = MainScreen.show_outline

    def spy(self: MainScreen, tags: list[str]) -> None:
        composed_at_outline.append(bool(self.query("#sessions-table")))
        show_outline(self, tags)

    monkeypatch.setattr(MainScreen, "show_outline", spy)
    app = GtsdApp(held.fake, live=False)
    async with app.run_test(size=size) as pilot:
        pending = app.main_screen.query_one("#pending-table", RowTable)
        for _ in range(100):
            if pending.keys:
                break
            await pilot.pause(0.02)
        # the tags in run order, every one "reading": none called pending or applied yet
        assert app.state is None
        assert pending.keys == SAMPLE_TAGS
        assert {str(cells[0]) for cells in pending.cells} == {"… reading"}
        assert "connecting…" in str(app.main_screen.query_one(HeaderBar).render())
        if size[0] >= 100:  # History is on screen: it says it is reading, it does not list nothing
            note = app.main_screen.query_one("#history-note")
            assert "reading the database" in str(note.render())
            assert app.main_screen.query_one("#history-table", RowTable).keys == []
        # Conflicts and Connections (their data comes after the state) are composed after that frame
        for _ in range(100):
            if app.main_screen.query("#sessions-table"):
                break
            await pilot.pause(0.02)
        assert app.main_screen.query("#sessions-table") and app.main_screen.query("#conflicts-table")
        assert app.state is None and composed_at_outline == [False]
        if size[0] < 100:  # History composed after the first frame says the same when shown
            await pilot.press("1")
            await pilot.pause()
            assert "reading the database" in str(app.main_screen.query_one("#history-note").render())
            await pilot.press("2")
            await pilot.pause()
        await pilot.press("slash", "2")  # the filter works on the tags already
        await pilot.pause()
        assert pending.keys == ["0002_partners"]
        await pilot.press("escape")
        held.go.set()  # the state arrives: applied ones go to History, Pending keeps the pending ones
        for _ in range(100):
            if app.state is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        assert app.state is held.first[0]
        assert pending.keys == ["0002_partners", "0003_today_checklist"]
        assert "reading" not in {str(cells[0]) for cells in pending.cells}
        history = app.main_screen.query_one("#history-table", RowTable)
        assert history.keys == ["0000_initial_schema", "0001_onboarding"]
        from gtsd_tui.tui import messages as msg

        app.main_screen.post_message(msg.OutlineLoaded(list(SAMPLE_TAGS)))  # a late outline changes nothing
        await pilot.pause()
        assert pending.keys == ["0002_partners", "0003_today_checklist"]


def test_the_header_names_the_configured_database_before_the_child_resolves_it(sample: Path) -> None:
    """While the database is read (the outline on screen, the URL not resolved yet in the parent), the
    header names the configured URL, masked, not "(embedded, not started)"; with none configured, that."""
    from gtsd_tui.services.console import ConsoleBackend

    secret = "s3cret-pw"
    url = f"postgresql://app:{secret}@db.example:5432/app"
    backend = ConsoleBackend(
        Project(load_settings(cwd=sample.parent, database_url=url, migrations=str(sample), environ={}))
    )
    info = backend.info()
    assert info.url == "postgresql://app:***@db.example:5432/app" and not info.embedded
    assert secret not in repr(info)
    bare = ConsoleBackend(Project(load_settings(cwd=sample.parent, migrations=str(sample), environ={})))
    assert bare.info().url == "(embedded, not started)"
