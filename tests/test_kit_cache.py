"""The run's drizzle-kit cache (tests/helpers/kit_cache.py): the same step of a test on the other server
gets the real kit's answer from the first run, byte for byte, and so does another test with the same
project; another input, or the same input asked for again within a test, runs the real kit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import kit_cache
from tests.helpers.kit_project import KitProject

pytestmark = pytest.mark.node

SCHEMA = (
    'import { pgTable, serial, text } from "drizzle-orm/pg-core";\n'
    'export const t = pgTable("t", { id: serial("id").primaryKey(), {COL} });\n'
)


def project(root: Path, col: str) -> KitProject:
    p = KitProject(root)
    p.schema({"s.ts": SCHEMA.replace("{COL}", col)})
    return p


def snapshot_id(p: KitProject) -> str:
    (snap,) = (p.folder / "meta").glob("0000_snapshot.json")
    return str(json.loads(snap.read_text())["id"])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder of this test's own (not the run's)."""
    (tmp_path / "cache").mkdir()
    monkeypatch.setenv(kit_cache.ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(kit_cache, "_calls", {})  # these tests reuse made-up test ids


def as_test(monkeypatch: pytest.MonkeyPatch, current: str) -> None:
    monkeypatch.setenv("PYTEST_CURRENT_TEST", current)


def test_the_other_server_s_run_of_a_step_gets_the_first_run_s_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: None
) -> None:
    as_test(monkeypatch, "tests/test_x.py::test_y[default-a] (call)")
    first = project(tmp_path / "one", 'name: text("name")')
    r1 = first.generate("init")
    as_test(monkeypatch, "tests/test_x.py::test_y[pg15-a] (call)")
    second = project(tmp_path / "two", 'name: text("name")')
    r2 = second.generate("init")
    assert (r2.returncode, r2.stdout) == (r1.returncode, r1.stdout)
    assert {p: (first.folder / p).read_bytes() for p in first.files()} == {
        p: (second.folder / p).read_bytes() for p in second.files()
    }  # a real second run would have drawn another snapshot id and another timestamp
    check = second.kit("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_another_input_or_a_second_call_runs_the_real_kit_another_test_shares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: None
) -> None:
    as_test(monkeypatch, "tests/test_x.py::test_y[default-a] (call)")
    ids = [snapshot_id(p) for p in [project(tmp_path / "one", 'name: text("name")')] if p.generate("init")]
    as_test(monkeypatch, "tests/test_x.py::test_y[pg15-a] (call)")  # the same step, another schema
    other = project(tmp_path / "two", 'title: text("title")')
    other.generate("init")
    ids.append(snapshot_id(other))
    as_test(monkeypatch, "tests/test_x.py::test_y[default-a] (call)")  # the same test asks for the same files again
    ids += [snapshot_id(p) for p in [project(tmp_path / "four", 'name: text("name")')] if p.generate("init")]
    assert len(set(ids)) == 3, ids
    assert "title" in (other.folder / "0000_init.sql").read_text()
    as_test(monkeypatch, "tests/test_z.py::test_w[pg15-b] (call)")  # another test, the same project: shared
    shared = project(tmp_path / "three", 'name: text("name")')
    shared.generate("init")
    assert snapshot_id(shared) == ids[0]
    check = shared.kit("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_off_runs_the_real_kit_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kit_cache.ENV, "off")
    ids = []
    for n, kind in enumerate(("default", "pg15")):
        as_test(monkeypatch, f"tests/test_x.py::test_y[{kind}] (call)")
        p = project(tmp_path / f"p{n}", 'name: text("name")')
        p.generate("init")
        ids.append(snapshot_id(p))
    assert ids[0] != ids[1]
