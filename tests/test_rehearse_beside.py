"""rehearse's ``beside`` (the command's data preflight, run on the target while the migrations run on the
copy), against a real PostgreSQL: it starts only once the copy exists, it is over before rehearse
returns, and the locks it holds on the target are never reported as blockers of the rehearsed
statements (the target's sessions are read after it)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.services.apply import ApplyRequest
from gtsd_tui.services.project import Project
from gtsd_tui.services.rehearse import rehearse
from tests.test_rehearse import applied_base, leftovers

pytestmark = pytest.mark.pg


def test_beside_runs_on_the_target_while_the_copy_exists_and_is_no_blocker(
    cli, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also: it starts once the copy is made (the copy is there then, or, when the pool was busy and the
    run short, already being dropped: never not made yet)."""
    import gtsd_tui.db.clone as clone

    folder = applied_base(cli, tmp_path, pg_url)
    seen: dict[str, object] = {}
    order: list[str] = []
    make = clone.make_clone

    def made(*args: object, **kwargs: object) -> object:
        copy = make(*args, **kwargs)  # type: ignore[arg-type]
        order.append("made")
        return copy

    monkeypatch.setattr(clone, "make_clone", made)

    def beside(_plan: object) -> None:
        order.append("beside")
        seen["copies"] = leftovers(pg_url)
        with psycopg.connect(pg_url, application_name="gtsd-tui") as conn:  # as the preflight's reads
            conn.execute("SELECT count(*) FROM users").fetchone()  # ACCESS SHARE on users, held till commit
            time.sleep(2)  # longer than the rest of the rehearsal: add_blockers must wait for it
        seen["done"] = True

    project = Project(load_settings(migrations=str(folder), database_url=pg_url))
    result = rehearse(project, ApplyRequest(to_tag="0001_mixed"), beside=beside)
    assert result.ok, result.failure
    assert result.method == "template", result.notice
    assert seen.get("done") is True  # over before rehearse returned
    assert order == ["made", "beside"], order
    assert len(seen["copies"]) <= 1, seen  # type: ignore[arg-type]
    add = next(r for r in result.records if r.text.startswith("ALTER TABLE users"))
    assert add.locks and add.locks[0][0] == "AccessExclusiveLock"
    assert add.blockers == [], [b.describe() for _, b in add.blockers]
    assert leftovers(pg_url) == []


def test_beside_is_not_called_when_nothing_is_pending(cli, tmp_path: Path, pg_url: str) -> None:
    folder = applied_base(cli, tmp_path, pg_url)
    assert cli("migrate", "--migrations", str(folder), "--database-url", pg_url).returncode == 0
    called: list[bool] = []
    project = Project(load_settings(migrations=str(folder), database_url=pg_url))
    result = rehearse(project, ApplyRequest(), beside=lambda _plan: called.append(True))
    assert result.method == "none" and called == []
