"""Property: for random renumber plans killed at a random step, the next command finds the before or
the after state, byte for byte (made-up snapshot ids aside), with every SQL text present."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.helpers.renumber_shapes import append, base_folder, commit_all
from tests.helpers.renumber_states import (
    FUTURE,
    git_status,
    normalized,
    only_migrations,
    run_forked,
    sql_texts,
    tree,
    uuids,
    workspaces,
)

extra = st.tuples(
    st.sampled_from(["collision", "orphan", "late"]),  # what kind of file the merge brought
    st.integers(0, 3),  # number, from the last kept one on: collisions and chains of same names
    st.sampled_from(["foo", "bar", "x"]),
    st.booleans(),  # with a snapshot of its own
)


def build(root: Path, kept: int, extras: list[tuple[str, int, str, bool]], in_git: bool) -> Path:
    folder = base_folder(root / "migrations", kept)
    for i, (kind, offset, suffix, snap) in enumerate(extras):
        number = kept - 1 + offset
        tag = f"{number:04d}_{suffix}"
        if (folder / f"{tag}.sql").exists():
            continue
        snap = snap and kind != "orphan" and not (folder / "meta" / f"{number:04d}_snapshot.json").exists()
        when = FUTURE - 1 - i if kind == "late" else FUTURE + 10_000 * (i + 1)
        append(folder, tag, f"-- {kind} {i}\nSELECT {i};\n", when=when, journaled=kind != "orphan", snap=snap)
    if in_git:
        commit_all(root)
    return folder


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kept=st.integers(1, 4),
    extras=st.lists(extra, min_size=1, max_size=6),
    in_git=st.booleans(),
    kill_at=st.integers(1, 45),
)
def test_random_plans_killed_at_a_random_step(
    kept: int, extras: list[tuple[str, int, str, bool]], in_git: bool, kill_at: int
) -> None:
    with tempfile.TemporaryDirectory(prefix="gtsd-prop-") as tmp:
        src = Path(tmp) / "src"
        folder = build(src, kept, extras, in_git)
        before = tree(folder)
        git_before = git_status(src if in_git else None)
        ref = Path(tmp) / "ref"
        shutil.copytree(src, ref)
        code = run_forked(["renumber", "--yes", "--offline", "--migrations", str(ref / "migrations")])
        assume(code == 0)  # plans renumber refuses (exit 1/2) write nothing: covered elsewhere
        after_tree = tree(ref / "migrations")
        known = uuids(before)
        after = normalized(after_tree, known)
        git_after = git_status(ref if in_git else None)
        assert only_migrations(after_tree) == []

        run = Path(tmp) / "run"
        shutil.copytree(src, run)
        env = {"GTSD_TEST_KILL_AFTER_STEP": str(kill_at)}
        code = run_forked(["renumber", "--yes", "--offline", "--migrations", str(run / "migrations")], env)
        assert code in (0, -9)
        assert run_forked(["check", "--offline", "--migrations", str(run / "migrations")]) in (0, 1)
        got = tree(run / "migrations")
        assert sql_texts(got) == sql_texts(before)
        if got == before:
            assert git_status(run if in_git else None) == git_before
        else:
            assert normalized(got, known) == after
            assert git_status(run if in_git else None) == git_after
        assert workspaces(run / "migrations") == []
