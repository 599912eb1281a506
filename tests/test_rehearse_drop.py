"""What ``gtsd-tui rehearse`` no longer waits for before its report (issue #27), against a real PostgreSQL
and a drizzle-kit 0.31 project (tests/test_rehearse_batch.py ``kit_project``):

- the copy's ``DROP DATABASE`` runs while the report is made and printed, and the command still ends
  only once the copy is gone (also when a migration fails, and for ``migrate --rehearse``, before
  anything is applied);
- the data preflight beside the run uses the rehearsal's own plan (the target's rows are read once),
  and finds what a preflight planned on its own finds.

The command runs in this process (``gtsd_tui.cli.main``) so that the real drop can be observed: it is
wrapped to wait until the report has been printed (with a deadline: without the change it would
otherwise wait for a report that comes only after it)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gtsd_tui.cli import main
from gtsd_tui.commands import rehearse as rehearse_cmd
from gtsd_tui.db import clone as clone_db
from gtsd_tui.services import apply as apply_svc
from gtsd_tui.services.apply import ApplyRequest
from tests.test_rehearse import gone, leftovers
from tests.test_rehearse_batch import kit_project
from tests.test_rehearse_overlap import project_of

pytestmark = [pytest.mark.pg, pytest.mark.node]

DEADLINE = 10.0  # seconds a drop waits for the report before it goes on all the same (no deadlock)


def while_dropping(order: list[str]) -> list[str]:
    """``order`` with its first two events sorted: the drop is held until the report is printed, so the
    report came while the copy was being dropped whichever of the two threads logged first ("drop asked"
    is logged by the drop's own thread, which a loaded machine may run a few ms after the print)."""
    return sorted(order[:2]) + order[2:]


def drop_after_report(monkeypatch: pytest.MonkeyPatch, printers: list[tuple[Any, str]]) -> list[str]:
    """The real drop, held until one of ``printers`` (module, name) has printed; the order of events."""
    order: list[str] = []
    printed = threading.Event()
    real_drop = clone_db.drop_clone

    def drop(clone: Any) -> None:
        order.append("drop asked")
        printed.wait(DEADLINE)
        real_drop(clone)
        order.append("dropped")

    monkeypatch.setattr(clone_db, "drop_clone", drop)
    for module, name in printers:
        real_print = getattr(module, name)

        def printing(*args: Any, _real: Any = real_print, **kwargs: Any) -> Any:
            out = _real(*args, **kwargs)
            order.append("report printed")
            printed.set()
            return out

        monkeypatch.setattr(module, name, printing)
    return order


def test_the_report_is_printed_while_the_copy_is_dropped_and_the_command_ends_once_it_is_gone(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    order = drop_after_report(monkeypatch, [(rehearse_cmd, "print_json")])
    code = main(["rehearse", "--json", "--migrations", str(folder), "--database-url", pg_url])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] and out["applied"], out
    assert while_dropping(order) == ["drop asked", "report printed", "dropped"], order  # the drop asked for once
    assert leftovers(pg_url) == []  # gone when the command ended


def test_a_failed_rehearsal_is_reported_while_dropping_and_exits_with_the_statements_code(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = kit_project(cli, tmp_path, pg_url, custom=["ALTER TABLE missing ADD COLUMN x int;"])
    gone(pg_url)
    order = drop_after_report(monkeypatch, [(rehearse_cmd, "print_rehearsal")])
    code = main(["rehearse", "--migrations", str(folder), "--database-url", pg_url])
    out, err = capsys.readouterr()
    assert code == 3, (out, err)  # a statement's error: exit 3, as before
    assert "_by_hand.sql:" in out and "42P01" in out, out  # located at file:line:col with its SQLSTATE
    assert while_dropping(order) == ["drop asked", "report printed", "dropped"], order
    assert leftovers(pg_url) == []


def test_migrate_rehearse_applies_only_once_the_copy_is_gone(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    order = drop_after_report(monkeypatch, [(rehearse_cmd, "print_rehearsal")])
    real_apply = apply_svc.apply

    def applying(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("observer") is None:  # the apply to the target, not the rehearsal's on the copy
            order.append(f"apply with copies left: {leftovers(pg_url)}")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(apply_svc, "apply", applying)
    code = main(["migrate", "--rehearse", "--migrations", str(folder), "--database-url", pg_url])
    assert code == 0, capsys.readouterr()
    assert while_dropping(order) == ["drop asked", "report printed", "dropped", "apply with copies left: []"], order
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (2,)


def test_the_data_preflight_beside_the_run_uses_the_rehearsals_plan(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = kit_project(cli, tmp_path, pg_url)
    planned: list[str] = []
    for name, real in (("plan_only", apply_svc.plan_only), ("prepare_plan", apply_svc.prepare_plan)):

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            planned.append(_name)  # the two ways a plan is made on the target's rows
            return _real(*args, **kwargs)

        monkeypatch.setattr(apply_svc, name, counted)
    code = main(["rehearse", "--json", "--migrations", str(folder), "--database-url", pg_url])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"], out
    assert len(planned) == 1, planned  # the rehearsal's plan only: the preflight made none of its own
    monkeypatch.undo()
    on_its_own = apply_svc.data_preflight(project_of(folder, pg_url), ApplyRequest(), 10.0)
    assert on_its_own.findings, "the project's pending migrations give the preflight something to check"
    assert out["preflight"] == json.loads(json.dumps(on_its_own.as_json())), out["preflight"]


def test_the_rehearsal_reads_the_folder_once_and_reads_each_migration_once(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan made on the target's rows is the one the run on the copy starts from: the folder is not
    read again, nor each pending migration's file split and hashed again, under the copy's lock."""
    from gtsd_tui.core.migrations import plan as plan_core
    from gtsd_tui.services import rehearse as svc
    from gtsd_tui.services.project import Project

    folder = kit_project(cli, tmp_path, pg_url)
    loads: list[int] = []
    steps: list[str] = []
    real_load, real_step = Project.load_folder, plan_core.step_for

    def load_folder(self: Project, **kwargs: Any) -> Any:
        loads.append(1)
        return real_load(self, **kwargs)

    def step_for(folder: Any, m: Any, tx_mode: Any) -> Any:
        steps.append(m.tag)
        return real_step(folder, m, tx_mode)

    monkeypatch.setattr(Project, "load_folder", load_folder)
    monkeypatch.setattr(plan_core, "step_for", step_for)
    r = svc.rehearse(project_of(folder, pg_url), ApplyRequest())
    assert r.ok and r.applied, r.failure
    assert len(loads) == 1, loads
    assert steps == r.applied, steps  # each pending migration read once, in order
    assert leftovers(pg_url) == []
