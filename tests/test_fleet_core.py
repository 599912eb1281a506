"""Environments found in a project, and the differences between databases (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.core.fleets.fleet import TargetStatus, differences
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.core.migrations.status import HistoryRow, compute_status
from gtsd_tui.errors import InputError
from gtsd_tui.services.targets import discover_envs, env_names


def test_env_files_are_the_environments(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://u@local/dev\n")
    (tmp_path / ".env.staging").write_text("DATABASE_URL=postgresql://u:pw@stage/app\nGTSD_MIGRATIONS_TABLE=mig\n")
    (tmp_path / ".env.prod").write_text("export DATABASE_URL='postgresql://u@prod/app'\n")
    for template in (".env.example", ".env.sample", ".env.template"):
        (tmp_path / template).write_text("DATABASE_URL=postgresql://user:password@host/db\n")
    (tmp_path / ".env.local.swp").mkdir()  # not a file
    assert env_names(tmp_path) == ["default", "prod", "staging"]
    shell = {"DATABASE_URL": "postgresql://u@shell/app"}
    settings = load_settings(cwd=tmp_path, environ=shell)
    got = discover_envs(settings, environ=shell)
    assert [(t.name, t.url, t.source, t.table) for t in got] == [
        ("default", "postgresql://u@shell/app", "DATABASE_URL", "__drizzle_migrations"),  # as `status` reads it
        ("prod", "postgresql://u@prod/app", ".env.prod", "__drizzle_migrations"),  # the file wins over the shell
        ("staging", "postgresql://u:pw@stage/app", ".env.staging", "mig"),
    ]
    assert [t.name for t in discover_envs(settings, ["staging"], environ={})] == ["staging"]
    with pytest.raises(InputError, match=r"\.env\.qa: not found"):
        discover_envs(settings, ["qa"], environ={})
    (tmp_path / ".env.empty").write_text("OTHER=1\n")
    with pytest.raises(InputError, match=r"\.env\.empty: no DATABASE_URL"):
        discover_envs(settings, ["empty"], environ={})


def test_without_a_configured_default_only_the_named_files_count(tmp_path: Path) -> None:
    (tmp_path / ".env.dev").write_text("DATABASE_URL=postgresql://u@local/dev\n")
    settings = load_settings(cwd=tmp_path, environ={})
    assert [t.name for t in discover_envs(settings, environ={})] == ["dev"]
    with pytest.raises(InputError, match="environment default: no DATABASE_URL"):
        discover_envs(settings, ["default"], environ={})


def test_differences_name_what_one_has_and_another_lacks(sample: Path) -> None:
    folder = load_folder(sample)
    ms = folder.migrations
    rows = [HistoryRow(i + 1, m.hash or "", m.when) for i, m in enumerate(ms)]

    def status(name: str, rs: list[HistoryRow]) -> TargetStatus:
        return TargetStatus(name, f"postgresql://h/{name}", "t", True, report=compute_status(folder, rs))

    edited = [rows[0], HistoryRow(2, "0" * 64, ms[1].when), *rows[2:]]
    stray = [*rows, HistoryRow(9, "f" * 64, 42)]
    got = differences(
        [
            status("prod", rows[:2]),
            status("staging", rows),
            status("qa", edited),
            status("dev", stray),
            TargetStatus("down", "postgresql://x/y", "t", False, "refused"),
        ]
    )
    assert got.lines == [
        f"staging, qa and dev have {ms[2].tag} that prod lacks",
        f"staging, qa and dev have {ms[3].tag} that prod lacks",
        f"qa: {ms[1].tag} is modified",
        "dev has a row no file explains (id 9, created_at 42)",
    ]
    assert not differences([status("a", rows), status("b", rows)])
