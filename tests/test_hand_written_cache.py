"""``lint``'s hand-written verdict kept beside the digest cache (issue 27): a warm ``lint`` of one file
from the project's root (the pre-commit hook's run) opens no snapshot, gives the verdict a cold read
gives, and every edit of a snapshot or of the journal is seen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gtsd_tui.core.lint import hand_written_tags, verdict_by_stats
from gtsd_tui.core.migrations import digest_cache, snapshots
from gtsd_tui.core.migrations.folder import load_folder
from tests.helpers.kit_project import base_project

USERS = """import { pgTable, serial, text } from "drizzle-orm/pg-core";
export const users = pgTable("users", { id: serial("id").primaryKey(), name: text("name") });
"""
TEAMS = """import { pgTable, serial, text } from "drizzle-orm/pg-core";
export const teams = pgTable("teams", { id: serial("id").primaryKey(), title: text("title") });
"""
BACKFILL = 'UPDATE "users" SET "name" = \'x\' WHERE "name" IS NULL;\n'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("GTSD_CACHE_DIR", str(where))
    # files written in the last 2 s are never stored: with no margin, everything already written counts
    monkeypatch.setattr(digest_cache, "RACY_NS", 0)
    return where


@pytest.fixture(scope="module")
def kit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real drizzle-kit project: ``generate`` (users), ``generate --custom`` (a backfill written by
    hand), ``generate`` (teams)."""
    p = base_project(tmp_path_factory.mktemp("kit"), {"users.ts": USERS})
    r = p.kit("generate", "--custom", "--name", "backfill")
    assert r.returncode == 0, r.stdout + r.stderr
    (custom,) = p.folder.glob("*_backfill.sql")
    custom.write_text(BACKFILL)
    p.step({"teams.ts": TEAMS}, "teams")
    assert p.kit("check").returncode == 0
    return p.folder


def _copy(folder: Path, dest: Path) -> Path:
    import shutil

    out = Path(shutil.copytree(folder, dest))
    time.sleep(0.02)  # past the filesystem's coarse clock tick
    return out


def _decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the snapshot bodies decoded (``Snapshot.data``) from now on."""
    seen: list[int] = []
    real = snapshots._data_json_first
    monkeypatch.setattr(snapshots, "_data_json_first", lambda text: seen.append(len(text)) or real(text))
    return seen


def _uncached(folder: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    with monkeypatch.context() as m:
        m.setenv("GTSD_NO_DIGEST_CACHE", "1")
        return hand_written_tags(load_folder(folder))


@pytest.mark.node
def test_a_warm_verdict_opens_no_snapshot(kit_folder: Path, tmp_path: Path, cache: Path, monkeypatch) -> None:
    folder = _copy(kit_folder, tmp_path / "drizzle")
    want = _uncached(folder, monkeypatch)
    assert len(want) == 1 and next(iter(want)).endswith("_backfill")  # drizzle-kit's custom one only
    decoded = _decodes(monkeypatch)
    assert hand_written_tags(load_folder(folder)) == want  # the first run reads the bodies, keeps the verdict
    assert len(decoded) == 3
    assert list((cache / "digests").glob("*.hand.marshal"))
    decoded.clear()
    warm = load_folder(folder)
    assert hand_written_tags(warm) == want
    assert decoded == []
    assert all("text" not in s.__dict__ for s in warm.snapshots)  # not even read


@pytest.mark.node
@pytest.mark.parametrize("edit", ["snapshot no longer a copy", "snapshot a copy again", "journal entry dropped"])
def test_an_edit_is_seen(kit_folder: Path, tmp_path: Path, cache: Path, monkeypatch, edit: str) -> None:
    """The cached verdict is keyed by each snapshot's stat and the journal's tags: after an edit the
    verdict is the one a read without any cache gives."""
    folder = _copy(kit_folder, tmp_path / "drizzle")
    snaps = sorted((folder / "meta").glob("*_snapshot.json"))
    before = hand_written_tags(load_folder(folder))
    assert hand_written_tags(load_folder(folder)) == before  # warm: from the kept verdict
    custom = json.loads(snaps[1].read_text())
    if edit == "snapshot no longer a copy":  # the backfill's snapshot now differs from the first
        custom["tables"] = {**custom["tables"], "public.extra": {"name": "extra"}}
        snaps[1].write_text(json.dumps(custom, indent=2))
    elif edit == "snapshot a copy again":  # the third (teams) copies the second: hand-written too
        third = json.loads(snaps[2].read_text())
        snaps[2].write_text(json.dumps({**custom, "id": third["id"], "prevId": third["prevId"]}, indent=2))
    else:
        journal = json.loads((folder / "meta/_journal.json").read_text())
        journal["entries"] = [e for e in journal["entries"] if not e["tag"].endswith("_backfill")]
        (folder / "meta/_journal.json").write_text(json.dumps(journal, indent=2))
    time.sleep(0.02)
    after = hand_written_tags(load_folder(folder))
    assert after == _uncached(folder, monkeypatch) != before
    assert hand_written_tags(load_folder(folder)) == after  # and kept again


def test_a_conflicted_folder_is_read_every_time(sample: Path, cache: Path, monkeypatch) -> None:
    """A snapshot with git's markers is never a cached head: its verdict is not kept either."""
    snap = sample / "meta/0003_snapshot.json"
    text = snap.read_text()
    snap.write_text(f"<<<<<<< HEAD\n{text}=======\n{text.replace('users', 'people')}>>>>>>> b\n")
    time.sleep(0.02)
    decoded = _decodes(monkeypatch)
    first = hand_written_tags(load_folder(sample))
    assert hand_written_tags(load_folder(sample)) == first == _uncached(sample, monkeypatch)
    assert len(decoded) >= 2 * 4
    assert not list((cache / "digests").glob("*.hand.marshal"))


@pytest.mark.node
def test_lint_from_the_project_root_warm_equals_cold(kit_folder: Path, tmp_path: Path) -> None:
    """The pre-commit hook's run (``gtsd-tui lint FILE`` from the project's root), three times (heads
    and verdict learnt, then kept): the same outputs and exit code as with the cache off, in each format;
    the hand-written backfill is told apart (its finding differs from a generated file's)."""
    project = tmp_path / "app"
    _copy(kit_folder, project / "drizzle")
    time.sleep(digest_cache.RACY_NS / 1e9 + 0.1)  # files written this instant are not cached
    (custom,) = (project / "drizzle").glob("*_backfill.sql")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["GTSD_CACHE_DIR"] = str(tmp_path / "cache")
    for fmt in ("text", "json", "github", "sarif"):
        argv = [sys.executable, "-m", "gtsd_tui", "lint", "--format", fmt, f"drizzle/{custom.name}"]
        cold = subprocess.run(argv, cwd=project, capture_output=True, env={**env, "GTSD_NO_DIGEST_CACHE": "1"})
        for _ in range(3):
            warm = subprocess.run(argv, cwd=project, capture_output=True, env=env)
            assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr), fmt
    assert list((tmp_path / "cache" / "digests").glob("*.hand.marshal"))
    (generated,) = (project / "drizzle").glob("*_teams.sql")
    rules = {}
    for path in (custom, generated):
        argv = [sys.executable, "-m", "gtsd_tui", "lint", "--format", "json", f"drizzle/{path.name}"]
        out = json.loads(subprocess.run(argv, cwd=project, capture_output=True, env=env).stdout)
        rules[path] = {f["rule"] for f in out["findings"]}
    assert "missing-header" in rules[custom] and "missing-header" not in rules[generated]  # told apart
    # warm, the verdict comes from the stats alone: the folder model is not even imported
    argv = [sys.executable, "-X", "importtime", "-m", "gtsd_tui", "lint", f"drizzle/{custom.name}"]
    traced = subprocess.run(argv, cwd=project, capture_output=True, text=True, env=env)
    imported = {ln.split("|")[-1].strip() for ln in traced.stderr.splitlines() if ln.startswith("import time:")}
    assert "gtsd_tui.core.lint" in imported and "gtsd_tui.core.migrations.folder" not in imported
    assert "missing-header" in traced.stdout


def _learn(folder: Path) -> set[str]:
    """lint's order: the stats first (a miss), then the folder read and the verdict kept under them."""
    found, stats = verdict_by_stats(str(folder))
    assert found is None and stats is not None
    return hand_written_tags(load_folder(folder), stats_key=stats)


@pytest.mark.node
@pytest.mark.parametrize(
    "edit", ["snapshot edited", "journal edited", "snapshot added", "snapshot removed", "journal touched"]
)
def test_the_verdict_by_stats_misses_after_any_change(
    kit_folder: Path, tmp_path: Path, cache: Path, monkeypatch, edit: str
) -> None:
    folder = _copy(kit_folder, tmp_path / "drizzle")
    want = _learn(folder)
    assert verdict_by_stats(str(folder))[0] == want  # kept: the next lint reads nothing of the folder
    meta = folder / "meta"
    snaps = sorted(meta.glob("*_snapshot.json"))
    if edit == "snapshot edited":  # the backfill's snapshot no longer copies the first one
        custom = json.loads(snaps[1].read_text())
        custom["tables"] = {**custom["tables"], "public.extra": {"name": "extra"}}
        snaps[1].write_text(json.dumps(custom, indent=2))
    elif edit == "journal edited":
        journal = json.loads((meta / "_journal.json").read_text())
        journal["entries"] = [e for e in journal["entries"] if not e["tag"].endswith("_backfill")]
        (meta / "_journal.json").write_text(json.dumps(journal, indent=2))
    elif edit == "snapshot added":
        (meta / "0003_snapshot.json").write_text(snaps[1].read_text())
    elif edit == "snapshot removed":
        snaps[2].unlink()
    else:  # same bytes, written again: other stats, so not trusted
        (meta / "_journal.json").write_text((meta / "_journal.json").read_text())
    time.sleep(0.02)
    assert verdict_by_stats(str(folder))[0] is None
    after = _learn(folder)
    assert after == _uncached(folder, monkeypatch)
    assert verdict_by_stats(str(folder))[0] == after
    if edit == "snapshot edited":
        assert after != want


@pytest.mark.node
def test_a_journal_written_just_now_is_not_kept_by_its_stats(kit_folder: Path, tmp_path: Path, monkeypatch) -> None:
    """The digest cache's margin applies: snapshots settled (their heads and the verdict are kept), the
    journal written again this instant (a write within the same clock tick could leave the same stats):
    the verdict is not kept under these stats, so the next run reads the folder again."""
    monkeypatch.setenv("GTSD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(digest_cache, "RACY_NS", 300_000_000)
    folder = _copy(kit_folder, tmp_path / "drizzle")
    time.sleep(0.4)
    journal = folder / "meta/_journal.json"
    journal.write_text(journal.read_text())
    found, stats = verdict_by_stats(str(folder))
    want = hand_written_tags(load_folder(folder), stats_key=stats)
    assert verdict_by_stats(str(folder))[0] is None
    time.sleep(0.4)  # settled now: learnt and kept
    assert _learn(folder) == want and verdict_by_stats(str(folder))[0] == want


@pytest.mark.node
def test_a_run_without_stats_keeps_the_entry(kit_folder: Path, tmp_path: Path, cache: Path) -> None:
    """The console asks for the verdict without stats: lint's entry stays in the file."""
    folder = _copy(kit_folder, tmp_path / "drizzle")
    want = _learn(folder)
    assert hand_written_tags(load_folder(folder)) == want
    assert verdict_by_stats(str(folder))[0] == want


def test_a_conflicted_journal_is_not_kept_by_its_stats(sample: Path, cache: Path) -> None:
    journal = sample / "meta/_journal.json"
    text = journal.read_text()
    journal.write_text(f"<<<<<<< HEAD\n{text}=======\n{text}>>>>>>> b\n")
    time.sleep(0.02)
    found, stats = verdict_by_stats(str(sample))
    assert found is None
    try:
        hand_written_tags(load_folder(sample), stats_key=stats)
    except Exception:  # noqa: BLE001 (whether the model refuses it or not, nothing is kept by stats)
        pass
    assert verdict_by_stats(str(sample))[0] is None
