"""Every test that uses the database fixtures carries the ``pg`` mark, so ``.ci/run``'s second run
(``pytest -m pg`` against PostgreSQL 15) covers all of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tests_using_the_database_are_marked_pg(tmp_path: Path) -> None:
    out = tmp_path / "unmarked.txt"
    env = {**os.environ, "GTSD_PG_MARKS_OUT": str(out)}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "tests.helpers.pg_marks", "tests"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-2000:]
    assert out.exists(), "the plugin ran"
    assert out.read_text().split() == []


def test_the_check_sees_an_unmarked_test(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("import pytest\n\n@pytest.fixture\ndef pg_url():\n    return 'x'\n")
    (tmp_path / "test_x.py").write_text("def test_uses_db(pg_url):\n    pass\n")
    out = tmp_path / "unmarked.txt"
    env = {**os.environ, "GTSD_PG_MARKS_OUT": str(out), "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "tests.helpers.pg_marks", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert out.read_text().split() == ["test_x.py::test_uses_db"]
