"""The stat-keyed digest cache: warm reads equal cold reads, and every kind of edit is seen."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gtsd_tui.core.migrations import digest_cache
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.core.migrations.hashing import digest_file


def _digests(folder: Path) -> dict[str, object]:
    return {m.tag: m.digest for m in load_folder(folder).migrations}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("GTSD_CACHE_DIR", str(where))
    # The files were copied a moment ago, and a file changed in the last 2 s is never stored (its ctime
    # cannot be set back): with no margin, everything written before this load counts as settled.
    monkeypatch.setattr(digest_cache, "RACY_NS", 0)
    time.sleep(0.02)  # past the filesystem's coarse clock tick
    return where


def test_warm_reads_equal_cold_reads_and_come_from_the_cache(sample: Path, cache: Path, monkeypatch) -> None:
    cold = _digests(sample)
    assert len(list((cache / "digests").iterdir())) == 1
    reads: list[str] = []
    monkeypatch.setattr(digest_cache, "digest_file", lambda p: reads.append(p) or digest_file(p))
    assert _digests(sample) == cold
    assert reads == []  # every file came from the cache
    monkeypatch.setenv("GTSD_NO_DIGEST_CACHE", "1")
    assert load_folder(sample).migrations[0].digest == cold[load_folder(sample).migrations[0].tag]
    assert len(reads) == 8  # two loads of the 4 files, the cache off


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(sample: Path, cache: Path) -> None:
    before = _digests(sample)
    path = sample / "0001_onboarding.sql"
    st = path.stat()
    raw = path.read_bytes()
    time.sleep(0.02)  # a later clock tick: the 2 s margin this test turned off is what covers a same-tick edit
    path.write_bytes(raw.replace(b"CREATE", b"create", 1))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back; ctime cannot be
    after = _digests(sample)
    assert after["0001_onboarding"] != before["0001_onboarding"]
    assert after["0001_onboarding"] == digest_file(str(path))
    assert {k: v for k, v in after.items() if k != "0001_onboarding"} == {
        k: v for k, v in before.items() if k != "0001_onboarding"
    }


def test_fresh_files_are_not_stored(sample: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(digest_cache, "RACY_NS", 10**12)  # everything counts as just written
    _digests(sample)
    assert digest_cache.DigestCache(str(sample)).old == {}
    monkeypatch.setattr(digest_cache, "RACY_NS", 0)
    _digests(sample)
    assert len(digest_cache.DigestCache(str(sample)).old) == 4


def test_a_corrupt_or_unwritable_cache_is_a_cold_read(sample: Path, cache: Path) -> None:
    cold = _digests(sample)
    (target,) = (cache / "digests").iterdir()
    target.write_bytes(b"\x00garbage")
    assert _digests(sample) == cold
    blocked = cache.parent / "blocked"
    blocked.write_text("a file where the cache directory should be")
    os.environ["GTSD_CACHE_DIR"] = str(blocked)  # restored by the fixture's monkeypatch
    assert _digests(sample) == cold


def test_a_file_changed_after_the_folder_was_read_is_not_applied(sample: Path, cache: Path) -> None:
    from gtsd_tui.core.migrations.plan import PlanRefused, step_for

    folder = load_folder(sample)
    m = folder.by_tag("0003_today_checklist")
    assert m is not None
    assert step_for(folder, m, "per-file").migration is m
    (sample / "0003_today_checklist.sql").write_text("SELECT 1;\n")
    with pytest.raises(PlanRefused, match="0003_today_checklist.sql: changed on disk"):
        step_for(folder, m, "per-file")
