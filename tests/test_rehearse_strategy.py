"""The template copy's strategy (db/clone_sql.py ``strategy_query``), against a real PostgreSQL and a
drizzle-kit 0.31 project (tests/test_rehearse_batch.py ``kit_project``): WAL_LOG (the default) below the
size where FILE_COPY gets cheaper, FILE_COPY from it, on both ways a copy is made (the early copy through
the bundled libpq, and the rehearsal's own through psycopg), with the same report either way.

A FILE_COPY copy is told by the two checkpoints PostgreSQL makes for it (a WAL_LOG copy makes none); the
test databases are a few MB, so the thresholds are lowered to reach FILE_COPY."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gtsd_tui.cli import main
from gtsd_tui.db import clone_sql
from gtsd_tui.db.clone import copy_strategy
from gtsd_tui.services import rehearse as svc
from gtsd_tui.services import rehearse_copy
from gtsd_tui.services.apply import ApplyRequest
from tests.test_early_copy import dbname, with_db
from tests.test_rehearse import gone, leftovers
from tests.test_rehearse_batch import kit_project, seen
from tests.test_rehearse_overlap import project_of

pytestmark = [pytest.mark.pg, pytest.mark.node]


def checkpoints(url: str) -> int:
    """Checkpoints requested on ``url``'s server so far (CREATE DATABASE ... FILE_COPY requests two)."""
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        if conn.info.server_version >= 170000:
            row = conn.execute("SELECT num_requested FROM pg_stat_checkpointer").fetchone()
        else:
            row = conn.execute("SELECT checkpoints_req FROM pg_stat_bgwriter").fetchone()
    assert row is not None
    return int(row[0])


def size_and_fsync(url: str) -> tuple[int, bool, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database()), current_setting('fsync') = 'on'").fetchone()
        assert row is not None
        return int(row[0]), bool(row[1]), conn.info.server_version


def file_copy_from(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setattr(clone_sql, "FILE_COPY_FROM", size)
    monkeypatch.setattr(clone_sql, "FILE_COPY_FROM_NO_FSYNC", size)


def test_the_strategy_follows_the_targets_size_and_fsync(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit_project(cli, tmp_path, pg_url)
    size, fsync, version = size_and_fsync(pg_url)
    if version < 150000:
        pytest.skip("CREATE DATABASE has no STRATEGY before PostgreSQL 15")
    with psycopg.connect(with_db(pg_url, "postgres"), autocommit=True) as admin:
        assert copy_strategy(admin, dbname(pg_url)) == ""  # a few MB: below either threshold
        monkeypatch.setattr(clone_sql, "FILE_COPY_FROM" if fsync else "FILE_COPY_FROM_NO_FSYNC", size + 1)
        assert copy_strategy(admin, dbname(pg_url)) == ""
        monkeypatch.setattr(clone_sql, "FILE_COPY_FROM" if fsync else "FILE_COPY_FROM_NO_FSYNC", size)
        assert copy_strategy(admin, dbname(pg_url)) == clone_sql.FILE_COPY
        # the other setting's threshold is not the one this server's fsync picks
        monkeypatch.setattr(clone_sql, "FILE_COPY_FROM" if fsync else "FILE_COPY_FROM_NO_FSYNC", size + 1)
        monkeypatch.setattr(clone_sql, "FILE_COPY_FROM_NO_FSYNC" if fsync else "FILE_COPY_FROM", 0)
        assert copy_strategy(admin, dbname(pg_url)) == ""
        assert copy_strategy(admin, dbname(pg_url) + "_missing") == ""  # no such database: the default


def test_the_rehearsals_own_copy_uses_file_copy_from_the_threshold_and_reports_the_same(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    if size_and_fsync(pg_url)[2] < 150000:
        pytest.skip("CREATE DATABASE has no STRATEGY before PostgreSQL 15")
    project = project_of(folder, pg_url)
    gone(pg_url)
    wal_log = svc.rehearse(project, ApplyRequest())
    file_copy_from(monkeypatch, 0)
    gone(pg_url)
    before = checkpoints(pg_url)
    file_copy = svc.rehearse(project, ApplyRequest())
    assert checkpoints(pg_url) - before >= 2  # CREATE DATABASE ... STRATEGY = FILE_COPY's two checkpoints
    assert wal_log.ok and file_copy.ok and file_copy.method == "template"
    assert seen(file_copy) == seen(wal_log) and file_copy.changes == wal_log.changes
    assert leftovers(pg_url) == []


def test_the_early_copy_uses_file_copy_from_the_threshold(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    if size_and_fsync(pg_url)[2] < 150000:
        pytest.skip("CREATE DATABASE has no STRATEGY before PostgreSQL 15")
    file_copy_from(monkeypatch, 0)
    taken: list[bool] = []
    real = rehearse_copy._taken_over

    def noted(url: str, early: Any, session: Any) -> Any:  # the copy asked for at the start, taken over
        clone = real(url, early, session)
        taken.append(clone is not None)
        return clone

    monkeypatch.setattr(rehearse_copy, "_taken_over", noted)
    before = checkpoints(pg_url)
    code = main(["rehearse", "--json", "--migrations", str(folder), "--database-url", pg_url])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] and out["method"] == "template", out
    assert taken == [True]  # the early copy was made and run on
    assert checkpoints(pg_url) - before >= 2
    assert leftovers(pg_url) == []
