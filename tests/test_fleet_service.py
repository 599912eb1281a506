"""The fleet service on a real PostgreSQL: status of many databases in parallel, unreachable as a state."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.core.fleets.fleet import differences
from gtsd_tui.core.fleets.targets import Target
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.services.apply import ApplyRequest, apply
from gtsd_tui.services.fleet import status_many
from gtsd_tui.services.project import Project
from tests.conftest import PW_ROLE, PW_SECRET

pytestmark = pytest.mark.pg


def _apply(folder: Path, url: str, to_tag: str | None = None) -> None:
    project = Project(load_settings(cwd=folder.parent, database_url=url, migrations=str(folder), environ={}))
    apply(project, ApplyRequest(to_tag=to_tag))


def _other_db(pg_url: str, suffix: str) -> str:
    name = pg_url.rsplit("/", 1)[1] + suffix  # dropped with pg_url's database (same prefix)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url.rsplit("/", 1)[0] + "/" + name


def test_status_many_reads_each_database_and_reports_unreachable_as_a_state(sample: Path, pg_url: str) -> None:
    part = _other_db(pg_url, "_part")
    _apply(sample, pg_url)
    _apply(sample, part, "0001_onboarding")
    host_port = pg_url.split("@", 1)[1].rsplit("/", 1)[0]
    targets = [
        Target("full", pg_url, "t:1"),
        Target("part", part, "t:2"),
        Target("down", f"postgresql://{PW_ROLE}:{PW_SECRET}@127.0.0.1:1/nowhere", "t:3"),
        Target("wrongpw", f"postgresql://{PW_ROLE}:{PW_SECRET}x@{host_port}/postgres", "t:4"),
    ]
    got = status_many(targets, load_folder(sample), jobs=4, connect_timeout=2)
    assert [t.name for t in got] == ["full", "part", "down", "wrongpw"]
    full, part_st, down, wrong = got
    assert full.reachable and set(full.states.values()) == {"applied"} and full.newest_applied == "0003_today_checklist"
    assert full.server_version and full.server_version[0].isdigit()
    assert part_st.states == {
        "0000_initial_schema": "applied",
        "0001_onboarding": "applied",
        "0002_partners": "pending",
        "0003_today_checklist": "pending",
    }
    assert (
        part_st.counts["applied"] == 2
        and part_st.counts["pending"] == 2
        and part_st.newest_applied == "0001_onboarding"
    )
    assert not down.reachable and down.report is None and "port 1 failed" in (down.error or "")
    assert not wrong.reachable and "password" in (wrong.error or "")
    for t in got:
        assert PW_SECRET not in repr(t.as_json()) and PW_SECRET not in (t.error or "")
    assert differences(got).lines == [
        "full has 0002_partners that part lacks",
        "full has 0003_today_checklist that part lacks",
    ]
