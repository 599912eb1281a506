"""The folder lock: concurrent renumbers are serialised; a run that cannot get it says who holds it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gtsd_tui.services.folder_lock import folder_lock
from tests.conftest import spawn_cli
from tests.helpers import renumber_shapes as shapes
from tests.helpers.node import drizzle_kit_check
from tests.helpers.renumber_states import normalized, only_migrations, reference, sql_texts, tree, workspaces


def _spawn(*args: str) -> Any:
    return spawn_cli(*args)


@pytest.mark.slow
@pytest.mark.node
def test_four_concurrent_renumbers_twenty_rounds(cli, sample: Path, tmp_path: Path) -> None:
    shape = shapes.collisions_mid_merge(tmp_path / "src", sample)
    before, after, known, (_, git_after) = reference(shape, tmp_path)
    for n in range(20):
        round_dir = tmp_path / f"r{n}"
        shapes.copy_shape(shape, round_dir)
        folder = round_dir / shape.folder_rel
        procs = [
            _spawn("renumber", "--yes", "--offline", "--wait", "120", "--migrations", str(folder)) for _ in range(4)
        ]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        codes = [r[0] for r in results]
        assert codes == [0, 0, 0, 0], (n, results)
        did = [out for _, out, _ in results if "renumbered;" in out]
        assert len(did) == 1, (n, results)  # one renumbered, the three others found nothing left to do
        assert sum("nothing to renumber" in out for _, out, _ in results) == 3, (n, results)
        got = tree(folder)
        assert sql_texts(got) == sql_texts(before), n
        assert normalized(got, known) == after, n
        assert only_migrations(got) == [] and workspaces(folder) == []
        status = subprocess.run(["git", "status", "--porcelain"], cwd=round_dir, capture_output=True, text=True)
        assert status.stdout == git_after, n
        assert cli("check", "--offline", "--migrations", str(folder)).returncode == 0, n
        if n in (0, 19):
            kit = drizzle_kit_check(folder)
            assert kit.returncode == 0, kit.stdout + kit.stderr


def test_a_second_run_waits_then_names_the_holder(cli, tmp_path: Path) -> None:
    shape = shapes.orphans(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    before = tree(folder)
    with folder_lock(folder, "test holder"):
        r = cli("renumber", "--yes", "--offline", "--wait", "0.5", "--migrations", str(folder))
        j = cli("renumber", "--yes", "--offline", "--json", "--wait", "0", "--migrations", str(folder))
        n = cli("new", "extra", "--migrations", str(folder))
    assert r.returncode == 4, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert f"locked by pid {os.getpid()} (test holder, since " in line and "waited 0.5s" in line, line
    assert j.returncode == 4 and '"exit_code": 4' in j.stdout
    assert n.returncode == 4, n.stderr
    assert tree(folder) == before  # nothing written by the refused runs
    assert sorted(p.name for p in shape.root.iterdir()) == ["migrations"]  # holder info removed with the lock
    r = cli("renumber", "--yes", "--offline", "--wait", "0", "--migrations", str(folder))
    assert r.returncode == 0, r.stderr


def test_a_waiting_run_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    shape = shapes.orphans(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    with folder_lock(folder, "test holder"):
        p = _spawn("renumber", "--yes", "--offline", "--wait", "60", "--migrations", str(folder))
        with pytest.raises(subprocess.TimeoutExpired):
            p.wait(timeout=4)  # still waiting while we hold it
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert f"for the folder lock held by pid {os.getpid()} (test holder" in err and "renumbered;" in out


def test_a_plan_is_refused_when_the_folder_changed_before_commit(tmp_path: Path) -> None:
    from gtsd_tui.config import load_settings
    from gtsd_tui.errors import InputError
    from gtsd_tui.services.folder_ops import apply_renumber, prepare_renumber
    from gtsd_tui.services.project import Project

    shape = shapes.orphans(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    project = Project(load_settings(migrations=str(folder), cwd=tmp_path))
    ctx = prepare_renumber(project, use_db=False)  # as the console does: plan, then a dialog
    (folder / "0012_late.sql").write_text("SELECT 12;\n")  # someone adds a file meanwhile
    before = tree(folder)
    with pytest.raises(InputError, match="changed since the renumber plan was made"):
        apply_renumber(project, ctx)
    assert tree(folder) == before


def test_a_read_that_overlaps_a_commit_returns_the_state_after_it(tmp_path: Path) -> None:
    """A reader past ``recover`` (no commit yet) and still reading when a renumber commits and moves files
    (the window that recover alone cannot see): it reads again once the change is finished, never keeping
    what it read before or halfway. The renumber here is killed after its first post-commit rename, so the
    second read also shows that a dead committer's change is finished first."""
    import shutil

    from gtsd_tui.core.migrations.folder import load_folder
    from gtsd_tui.services.renumber_log import read_stable
    from tests.helpers.renumber_states import run_forked

    shape = shapes.chained(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    before = tree(folder)
    renumber = ["renumber", "--yes", "--offline", "--migrations"]
    for step in range(1, 60):  # the first step after the commit point and a rename, found on copies
        probe = tmp_path / f"probe{step}"
        shutil.copytree(shape.root, probe)
        copy = probe / shape.folder_rel
        run_forked([*renumber, str(copy)], {"GTSD_TEST_KILL_AFTER_STEP": str(step)})
        if list((probe / ".git").rglob("intent.json")) and tree(copy) != before:
            break
    else:
        pytest.fail("never killed after the commit point")

    calls: list[list[str]] = []

    def read():
        seen = load_folder(folder)
        calls.append([m.tag for m in seen.migrations])
        if len(calls) == 1:  # a renumber commits under this read and stops halfway
            assert run_forked([*renumber, str(folder)], {"GTSD_TEST_KILL_AFTER_STEP": str(step)}) == -9
        return seen

    notes: list[str] = []
    result = read_stable(folder, read, notes.append)
    assert len(calls) == 2 and calls[0] != calls[1], calls
    assert [p.name for p in sorted(folder.glob("*_foo.sql"))] == ["0004_foo.sql", "0005_foo.sql"]
    assert [m.tag for m in result.migrations] == [m.tag for m in load_folder(folder).migrations] == calls[1]
    assert any("finishing an interrupted renumber" in n for n in notes), notes
    assert workspaces(folder) == []


def test_a_file_renamed_away_under_a_read_is_read_again(tmp_path: Path) -> None:
    """Issue 33 (7): a reader listed the folder, a renumber committed and renamed a file, the reader's
    open of the old name failed with FileNotFoundError (exit 70). The folder's mtime moved: read again."""
    from gtsd_tui.core.migrations.folder import load_folder
    from gtsd_tui.services.renumber_log import read_stable
    from tests.helpers.renumber_states import run_forked

    shape = shapes.restamped_chain(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    calls: list[int] = []

    def read():
        calls.append(1)
        listed = sorted(folder.glob("*.sql"))
        if len(calls) == 1:
            assert run_forked(["renumber", "--yes", "--offline", "--migrations", str(folder)]) == 0
        for p in listed:
            p.read_bytes()  # the first time, one of them has been renamed away
        return load_folder(folder)

    result = read_stable(folder, read, lambda _m: None)
    assert len(calls) == 2
    assert [m.tag for m in result.migrations] == [m.tag for m in load_folder(folder).migrations]


@pytest.mark.slow
def test_readers_during_200_renumber_commits_never_crash(tmp_path: Path) -> None:
    """`check --offline` read over and over while renumber commits 200 times: any exit but 70 (a crash)."""
    from tests.helpers.renumber_states import run_forked

    shape = shapes.restamped_chain(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    state_a = tree(folder)
    writer = os.fork()
    if writer == 0:  # pragma: no cover - child: restore the conflicted state, renumber it, 200 times
        code = 0
        try:
            for _ in range(200):
                for rel in tree(folder):
                    if rel not in state_a and not rel.endswith("/"):
                        (folder / rel).unlink(missing_ok=True)
                for rel, data in state_a.items():
                    if not rel.endswith("/"):
                        (folder / rel).write_bytes(data)
                if run_forked(["renumber", "--yes", "--offline", "--migrations", str(folder)]) not in (0, 2, 4):
                    code = 1
        finally:
            os._exit(code)
    codes: list[int] = []
    while True:
        done, status = os.waitpid(writer, os.WNOHANG)
        if done:
            break
        codes.append(run_forked(["check", "--offline", "--migrations", str(folder)]))
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert len(codes) > 20, len(codes)
    assert 70 not in codes, codes
