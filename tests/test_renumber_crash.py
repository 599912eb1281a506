"""Renumber killed after every step of its commit, for several plan shapes: the next command always
finds exactly the before or the after state, every SQL text present, no workspace left anywhere."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import renumber_shapes as shapes
from tests.helpers.node import drizzle_kit_check
from tests.helpers.renumber_states import (
    Shape,
    kill_every_step,
    only_migrations,
    run_forked,
    tree,
    workspaces,
)


def _check_outcomes(outcomes: list, shape: Shape, scratch: Path) -> None:
    seen = [o.which for o in outcomes]
    assert seen[0] == "before" and seen[-1] == "after", seen
    assert len(outcomes) > 8, seen  # the hook really interrupts the commit at many points
    assert sum(1 for o in outcomes if o.code == -9 and o.which == "after") >= 3, seen  # recovered forward
    _kit_ok(scratch / "reference" / shape.folder_rel)  # the after state every recovery matched


def _kit_ok(folder: Path) -> None:
    kit = drizzle_kit_check(folder)
    assert kit.returncode == 0, kit.stdout + kit.stderr


SHAPES = {
    "chained-renames": shapes.chained,
    "orphans-registered": shapes.orphans,
    "moved-snapshots": shapes.moved_snapshots,
    "chained-outside-git": shapes.restamped_chain,
}


@pytest.mark.slow
@pytest.mark.node
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_killed_at_every_step_recovers_to_before_or_after(name: str, tmp_path: Path) -> None:
    shape = SHAPES[name](tmp_path / "src")
    outcomes = kill_every_step(shape, tmp_path)
    _check_outcomes(outcomes, shape, tmp_path)


@pytest.mark.slow
@pytest.mark.node
def test_killed_mid_merge_at_every_step(sample: Path, tmp_path: Path) -> None:
    shape = shapes.collisions_mid_merge(tmp_path / "src", sample)
    outcomes = kill_every_step(shape, tmp_path)
    _check_outcomes(outcomes, shape, tmp_path)


@pytest.mark.node
def test_recovered_after_state_passes_drizzle_kit_and_check(tmp_path: Path) -> None:
    """Killed after the first renames of a chained plan, finished by `check`: drizzle-kit accepts it."""
    shape = shapes.chained(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    before = tree(folder)
    for step in range(1, 60):
        code = run_forked(
            ["renumber", "--yes", "--offline", "--migrations", str(folder)], {"GTSD_TEST_KILL_AFTER_STEP": str(step)}
        )
        if code == -9 and list((shape.root / ".git").rglob("intent.json")) and tree(folder) != before:
            break  # killed after the commit point and the first rename, the workspace under .git/
    else:
        pytest.fail("never killed after the commit point")
    assert not [p for p in folder.rglob(".*")], "workspace inside the folder"
    assert run_forked(["check", "--offline", "--migrations", str(folder)]) == 0  # recovers, then finds nothing
    assert only_migrations(tree(folder)) == [] and workspaces(folder) == []
    assert [p.name for p in sorted(folder.glob("*_foo.sql"))] == ["0004_foo.sql", "0005_foo.sql"]
    _kit_ok(folder)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=shape.root, capture_output=True, text=True).stdout
    ours = [line for line in status.splitlines() if "migrations/" in line]
    assert "A  migrations/0005_foo.sql" in ours and "D  migrations/0003_foo.sql" in ours, status
    assert all(line[0] in "MADR" and line[1] == " " for line in ours), status  # all staged, as git mv would


@pytest.mark.node
def test_after_success_the_folder_holds_only_migrations(cli, sample: Path, tmp_path: Path) -> None:
    shape = shapes.collisions_mid_merge(tmp_path / "src", sample)
    folder = shape.root / shape.folder_rel
    r = cli("renumber", "--yes", "--offline", "--migrations", str(folder))
    assert r.returncode == 0, r.stderr
    assert only_migrations(tree(folder)) == [] and workspaces(folder) == []
    grep = subprocess.run(["grep", "-r", "^<<<<<<<", str(folder)], capture_output=True, text=True)
    assert grep.returncode == 1 and grep.stdout == "", grep.stdout  # 1: no match
    status = subprocess.run(["git", "status", "--porcelain"], cwd=shape.root, capture_output=True, text=True).stdout
    assert "UU" not in status and "AA" not in status and "??" not in status, status
    assert cli("check", "--offline", "--migrations", str(folder)).returncode == 0
    _kit_ok(folder)


def test_workspace_lives_next_to_a_folder_outside_git(tmp_path: Path) -> None:
    shape = shapes.orphans(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    for step in range(1, 60):
        code = run_forked(
            ["renumber", "--yes", "--offline", "--migrations", str(folder)], {"GTSD_TEST_KILL_AFTER_STEP": str(step)}
        )
        if (shape.root / ".migrations.gtsd-renumber" / "intent.json").exists():
            break
        assert code == -9
    assert [p for p in folder.rglob(".*")] == []
    assert run_forked(["check", "--offline", "--migrations", str(folder)]) == 0
    assert sorted(p.name for p in shape.root.iterdir()) == ["migrations"]


def test_backup_left_inside_the_folder_by_an_earlier_version_is_removed(cli, tmp_path: Path) -> None:
    shape = shapes.orphans(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    old = folder / ".gtsd-renumber" / "backup" / "meta"
    old.mkdir(parents=True)
    (old / "_journal.json").write_text("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> b\n")
    r = cli("check", "--offline", "--migrations", str(folder))
    assert "earlier gtsd-tui version" in r.stderr
    assert not (folder / ".gtsd-renumber").exists()
    (folder / ".gtsd-renumber").mkdir()
    (folder / ".gtsd-renumber" / "intent.json").write_text(json.dumps({"moves": []}))
    r = cli("check", "--offline", "--migrations", str(folder))
    assert r.returncode == 2 and "intent.json: an interrupted renumber from an earlier" in r.stderr
