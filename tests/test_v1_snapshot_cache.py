"""A Drizzle 1.0 folder's snapshots read through the folder's caches (issue 27: a pre-commit hook's
``check --offline`` and ``lint`` of one file used to decode every ``snapshot.json`` at every run, each
the whole schema): a warm run decodes none and finds what a run without any cache finds; an edit is
seen. On a real drizzle-kit 1.0.0-rc.5 project made from a TypeScript schema. Also: which files of a v1
folder leave it through a symbolic link."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtsd_tui.core.drizzle_v1 import v1
from gtsd_tui.core.lint import hand_written_tags
from gtsd_tui.core.migrations import digest_cache, snapshots
from gtsd_tui.core.migrations.folder import load_folder
from tests.helpers.node_v1 import generate_v1

USERS = """import { pgTable, serial, text } from "drizzle-orm/pg-core";
export const users = pgTable("users", { id: serial("id").primaryKey(), name: text("name") });
"""
TEAMS = """
export const teams = pgTable("teams", { id: serial("id").primaryKey(), title: text("title") });
"""


@pytest.fixture(scope="module")
def v1_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``generate`` (users), ``generate --custom`` (a backfill by hand), ``generate`` (teams)."""
    project = tmp_path_factory.mktemp("v1")
    (project / "schema.ts").write_text(USERS)
    generate_v1(project, "init")
    custom = generate_v1(project, "backfill", custom=True)
    (custom / "migration.sql").write_text('UPDATE "users" SET "name" = \'x\' WHERE "name" IS NULL;\n')
    (project / "schema.ts").write_text(USERS + TEAMS)
    generate_v1(project, "teams")
    return project


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("GTSD_CACHE_DIR", str(where))
    monkeypatch.setattr(digest_cache, "RACY_NS", 0)  # (files written just now may be kept)
    return where


def _copy(project: Path, dest: Path) -> Path:
    out = Path(shutil.copytree(project / "drizzle", dest))
    time.sleep(0.02)  # past the filesystem's coarse clock tick
    return out


def _counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many snapshot files are decoded from now on, by either reader (v1's facts, the bodies)."""
    seen = {"facts": 0, "bodies": 0}
    parse, body = v1.parse_v1_snapshot, snapshots._data_json_first

    def counted_parse(folder: str, text: str) -> v1.V1Snapshot:
        seen["facts"] += 1
        return parse(folder, text)

    def counted_body(text: str) -> object:
        seen["bodies"] += 1
        return body(text)

    monkeypatch.setattr(v1, "parse_v1_snapshot", counted_parse)
    monkeypatch.setattr(snapshots, "_data_json_first", counted_body)
    return seen


def _uncached(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[v1.V1Snapshot], set[str]]:
    with monkeypatch.context() as m:
        m.setenv("GTSD_NO_DIGEST_CACHE", "1")
        return v1.read_v1_snapshots(load_folder(folder)), hand_written_tags(load_folder(folder))


@pytest.mark.node
def test_a_warm_read_decodes_no_snapshot_and_finds_the_same(
    v1_project: Path, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy(v1_project, tmp_path / "drizzle")
    want_facts, want_hand = _uncached(folder, monkeypatch)
    assert [s.custom for s in want_facts] == [False, True, False]
    assert len(want_hand) == 1 and next(iter(want_hand)).endswith("_backfill")
    seen = _counted(monkeypatch)
    assert v1.read_v1_snapshots(load_folder(folder)) == want_facts  # cold: read, kept
    assert hand_written_tags(load_folder(folder)) == want_hand
    assert seen["facts"] == 3
    seen.update(facts=0, bodies=0)
    warm = load_folder(folder)
    assert v1.read_v1_snapshots(warm) == want_facts
    assert hand_written_tags(warm) == want_hand
    assert seen == {"facts": 0, "bodies": 0}
    assert all("text" not in s.__dict__ for s in warm.snapshots)  # not even read


@pytest.mark.node
@pytest.mark.parametrize("edit", ["prevIds", "deltas", "removed", "invalid"])
def test_an_edited_snapshot_is_read_again(
    v1_project: Path, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    folder = _copy(v1_project, tmp_path / "drizzle")
    v1.read_v1_snapshots(load_folder(folder))
    hand_written_tags(load_folder(folder))  # both kept
    (third,) = [d for d in folder.iterdir() if d.name.endswith("_teams")]
    path = third / "snapshot.json"
    data = json.loads(path.read_text())
    if edit == "prevIds":
        data["prevIds"] = ["00000000-0000-0000-0000-000000000000"]
        path.write_text(json.dumps(data, indent=2))
    elif edit == "deltas":  # now a custom migration's snapshot: hand-written
        path.write_text(json.dumps({**data, "type": "diff", "deltas": [], "footprints": []}, indent=2))
    elif edit == "removed":
        path.unlink()
    else:
        path.write_text("{ not json")
    time.sleep(0.02)
    want = _uncached(folder, monkeypatch)
    assert (v1.read_v1_snapshots(load_folder(folder)), hand_written_tags(load_folder(folder))) == want
    # the check's findings as well, through the CLI, with and without the cache
    env = {**os.environ, "GTSD_CACHE_DIR": str(cache)}
    argv = [sys.executable, "-m", "gtsd_tui", "check", "--offline", "--json", "--migrations", str(folder)]
    got = subprocess.run(argv, capture_output=True, text=True, env=env)
    bare = subprocess.run(argv, capture_output=True, text=True, env={**env, "GTSD_NO_DIGEST_CACHE": "1"})
    assert (got.returncode, got.stdout) == (bare.returncode, bare.stdout)
    # (a snapshot now off the chain is a fork; one gone or broken, a finding of its own)
    assert bool(json.loads(got.stdout)["findings"]) == (edit != "deltas")


def _v1_dir(root: Path, name: str, sql: str = "SELECT 1;\n") -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "migration.sql").write_text(sql)
    return d


def test_which_v1_files_leave_the_folder_through_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "drizzle"
    outside = tmp_path / "elsewhere"
    _v1_dir(folder, "20250101000000_plain")
    _v1_dir(outside, "20250102000000_linked_dir")
    os.symlink(outside / "20250102000000_linked_dir", folder / "20250102000000_linked_dir")
    d = folder / "20250103000000_linked_file"
    d.mkdir()
    (outside / "loose.sql").write_text("SELECT 3;\n")
    os.symlink(outside / "loose.sql", d / "migration.sql")
    d = folder / "20250104000000_inside_link"
    d.mkdir()
    os.symlink(folder / "20250101000000_plain" / "migration.sql", d / "migration.sql")
    got = load_folder(folder).links_outside
    linked_dir = "20250102000000_linked_dir/migration.sql"
    assert got == {
        linked_dir: os.path.realpath(outside / linked_dir),
        "20250103000000_linked_file/migration.sql": os.path.realpath(outside / "loose.sql"),
    }


@settings(max_examples=2000, deadline=None)
@given(
    digits=st.text("0123456789", min_size=14, max_size=14)
    | st.builds(
        lambda y, mo, d, h, mi, s: f"{y:04d}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 40),
        st.integers(0, 30),
        st.integers(0, 70),
        st.integers(0, 70),
    )  # fmt: skip
)
def test_v1_when_is_calendar_timegm(digits: str) -> None:
    """A v1 migration's ``created_at`` worked out without ``calendar`` (a hook's start): what
    ``calendar.timegm`` gives for the name's six numbers, None where it refuses."""
    import calendar

    from gtsd_tui.core.migrations.folder import v1_when

    nums = (int(digits[0:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    try:
        want: int | None = calendar.timegm((*nums, int(digits[12:14]))) * 1000
    except (ValueError, OverflowError):
        want = None
    assert v1_when(f"{digits}_name") == want


@pytest.mark.node
def test_a_warm_check_of_a_v1_folder_imports_no_json_nor_dataclasses(
    v1_project: Path, tmp_path: Path, cache: Path
) -> None:
    """``check --offline`` of a Drizzle 1.0 folder from the kept heads and facts (a pre-commit hook's run):
    no ``json``, ``dataclasses`` (with ``inspect``), ``typing`` or ``calendar`` (with ``datetime``)
    beyond what ``python -c pass`` imports (traced with ``-S``: no site, no editable-install finder)."""
    import gtsd_tui

    folder = _copy(v1_project, tmp_path / "drizzle")
    time.sleep(2.1)  # (the subprocess keeps no file written in its last 2 s: digest_cache.RACY_NS)
    root = str(Path(gtsd_tui.__file__).resolve().parent.parent)
    code = f"import sys; sys.path.insert(0, {root!r}); from gtsd_tui.start import cli; sys.exit(cli())"
    argv = [sys.executable, "-S", "-X", "importtime", "-c", code, "check", "--offline", "--migrations", str(folder)]
    env = {**os.environ, "GTSD_CACHE_DIR": str(cache)}
    cold = subprocess.run(argv, capture_output=True, text=True, env=env)  # reads and keeps
    assert cold.returncode == 0 and cold.stdout == "no problems found\n", cold.stderr[-2000:]
    warm = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert (warm.returncode, warm.stdout) == (0, cold.stdout)
    ran = {ln.split("|")[-1].strip() for ln in warm.stderr.splitlines() if ln.startswith("import time:")}
    assert "gtsd_tui.core.drizzle_v1.v1_check" in ran  # (the v1 path was taken)
    start = subprocess.run([sys.executable, "-S", "-X", "importtime", "-c", "pass"], capture_output=True, text=True)
    before = {ln.split("|")[-1].strip() for ln in start.stderr.splitlines() if ln.startswith("import time:")}
    banned = {"json", "dataclasses", "inspect", "typing", "calendar", "datetime", "locale"}
    assert banned & (ran - before) == set()
