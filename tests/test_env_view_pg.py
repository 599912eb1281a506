"""The Environments view on a real PostgreSQL: a project with .env.dev (all applied), .env.staging (the
first two applied) and .env.prod (unreachable); the typed-name confirmation applies to staging through
the apply service."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from textual.widgets import Input

from gtsd_tui.config import load_settings
from gtsd_tui.services.apply import ApplyRequest, apply
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.environments import EnvironmentsScreen
from gtsd_tui.tui.widgets.env_detail import EnvDetail
from gtsd_tui.tui.widgets.env_matrix import EnvMatrix
from tests.conftest import PW_ROLE, PW_SECRET

pytestmark = pytest.mark.pg

TAGS = ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]


def _other_db(pg_url: str, suffix: str) -> str:
    name = pg_url.rsplit("/", 1)[1] + suffix  # dropped with pg_url's database (same prefix)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url.rsplit("/", 1)[0] + "/" + name


def _rows(url: str) -> list[tuple[str, int]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id").fetchall()


def _project(sample: Path, pg_url: str) -> tuple[Project, str]:
    """.env.dev (the console's own, all applied), .env.staging (two applied), .env.prod (port 1)."""
    cwd = sample.parent
    staging = _other_db(pg_url, "_staging")
    (cwd / ".env.dev").write_text(f"DATABASE_URL={pg_url}\n")
    (cwd / ".env.staging").write_text(f"DATABASE_URL={staging}\n")
    (cwd / ".env.prod").write_text(f"DATABASE_URL=postgresql://{PW_ROLE}:{PW_SECRET}@127.0.0.1:1/prod\n")
    for url, to_tag in ((pg_url, None), (staging, "0001_onboarding")):
        there = Project(load_settings(cwd=cwd, database_url=url, migrations=str(sample), environ={}))
        apply(there, ApplyRequest(to_tag=to_tag))
    settings = load_settings(cwd=cwd, env_name="dev", migrations=str(sample), environ={})
    return Project(settings), staging


async def _wait(pilot, predicate, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


async def test_environments_view_on_real_databases(sample: Path, pg_url: str) -> None:
    project, staging = _project(sample, pg_url)
    app = GtsdApp(ConsoleBackend(project), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await _wait(pilot, lambda: app.state is not None)
        await pilot.press("e")
        await _wait(pilot, lambda: isinstance(app.screen, EnvironmentsScreen) and app.screen.envs is not None)
        screen = app.screen
        assert isinstance(screen, EnvironmentsScreen) and screen.envs is not None
        matrix = screen.query_one(EnvMatrix)
        assert [str(c.label) for c in matrix.columns.values()] == ["Migration", "dev (here)", "prod ✗", "staging"]
        assert [e.name for e in screen.envs.envs] == ["dev", "prod", "staging"]

        def column(env: str) -> list[str]:
            return [matrix.get_cell(tag, env).plain for tag in TAGS]

        assert column("dev") == ["✓ applied"] * 4
        assert column("staging") == ["✓ applied"] * 2 + ["• pending"] * 2
        assert column("prod") == ["? unknown"] * 4
        await pilot.press("right")  # prod: unreachable with its reason, the password masked
        detail = str(screen.query_one(EnvDetail).render())
        assert "prod" in detail and "✗ unreachable" in detail and "127.0.0.1" in detail
        assert PW_SECRET not in detail and "***" in detail
        assert "dev has 0002_partners that staging lacks" in detail
        await pilot.press("right", "down", "down", "down")
        assert matrix.selected == ("staging", "0003_today_checklist")
        assert "0003_today_checklist: • pending · not applied here" in str(screen.query_one(EnvDetail).render())
        await pilot.press("a")
        await _wait(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and dialog.type_to_confirm == "staging"
        assert PW_SECRET not in dialog.body
        box = dialog.query_one("#typed", Input)
        box.focus()
        await pilot.press(*"prod")  # the wrong name: refused, nothing applied
        dialog.query_one("#ok").focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen is dialog and len(_rows(staging)) == 2
        box.focus()  # focusing selects the text: typing replaces it
        await pilot.press(*"staging")
        dialog.query_one("#ok").focus()
        await pilot.press("enter")
        await _wait(pilot, lambda: app.screen is screen and not app.busy and not screen.loading_envs)
        await _wait(pilot, lambda: column("staging") == ["✓ applied"] * 4)
        assert str(screen.query_one("#envs-log").render()) == "✓ staging: applied 2 migration(s)"
        assert _rows(staging) == _rows(pg_url)  # the same rows as the environment migrated by the service
        assert PW_SECRET not in app.export_screenshot()


async def test_an_environment_file_without_a_url_is_named_and_nothing_connects(sample: Path, pg_url: str) -> None:
    cwd = sample.parent
    (cwd / ".env.bad").write_text(f"PGPASSWORD={PW_SECRET}\n")
    project = Project(load_settings(cwd=cwd, database_url=pg_url, migrations=str(sample), environ={}))
    app = GtsdApp(ConsoleBackend(project), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(pilot, lambda: app.state is not None)
        await pilot.press("e")
        await _wait(pilot, lambda: isinstance(app.screen, EnvironmentsScreen) and app.screen.envs is not None)
        screen = app.screen
        assert isinstance(screen, EnvironmentsScreen) and screen.envs is not None
        assert screen.envs.error is not None and screen.envs.envs == ()
        detail = str(screen.query_one(EnvDetail).render())
        assert detail.startswith("✗ ") and ".env.bad" in detail and "no DATABASE_URL" in detail
        assert PW_SECRET not in detail
        assert screen.query_one(EnvMatrix).row_count == 0
