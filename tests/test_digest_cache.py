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
    stored = digest_cache.DigestCache(str(sample)).old
    assert sorted(stored) == sorted([p.name for p in sample.glob("*.sql")] + [digest_cache.JOURNAL_KEY])


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


# --- the journal's entries and the snapshots' heads (a warm check opens no snapshot, parses no journal) ---


def _snapshot_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from gtsd_tui.core.migrations import folder as folder_mod

    reads: list[str] = []
    real = folder_mod._snapshot_file
    monkeypatch.setattr(folder_mod, "_snapshot_file", lambda n, p, s: reads.append(n) or real(n, p, s))
    return reads


def _journal_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from gtsd_tui.core.migrations import folder as folder_mod

    parses: list[str] = []
    real = folder_mod.parse_journal
    monkeypatch.setattr(folder_mod, "parse_journal", lambda t, w="": parses.append(w) or real(t, w))
    return parses


def test_warm_snapshots_and_journal_equal_cold_ones_and_are_not_read(
    sample: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTSD_NO_DIGEST_CACHE", "1")
    cold = load_folder(sample)
    cold_snaps, cold_journal = cold.snapshots, cold.journal
    monkeypatch.delenv("GTSD_NO_DIGEST_CACHE")
    first = load_folder(sample)
    assert first.snapshots == cold_snaps and first.journal == cold_journal  # fills the cache
    reads, parses = _snapshot_reads(monkeypatch), _journal_parses(monkeypatch)
    warm = load_folder(sample)
    assert warm.journal == cold_journal and vars(warm.journal) == vars(cold_journal)
    assert [vars(e) for e in warm.journal.entries] == [vars(e) for e in cold_journal.entries]
    assert warm.migrations == cold.migrations
    assert [vars(m) for m in warm.migrations] == [vars(m) for m in cold.migrations]
    snaps = warm.snapshots
    assert reads == [] and parses == []  # neither file kind was opened
    assert snaps == cold_snaps
    skip = {"text", "source", "source_key", "data"}
    assert [{k: v for k, v in vars(s).items() if k not in skip} for s in snaps] == [
        {k: v for k, v in vars(s).items() if k not in skip} for s in cold_snaps
    ]
    assert all(s.readable for s in snaps)
    # the body is there when something asks for it (read then, not before)
    assert [s.text for s in snaps] == [s.text for s in cold_snaps]
    assert [s.data for s in snaps] == [s.data for s in cold_snaps]


def test_a_snapshot_edited_in_place_with_size_and_mtime_kept_is_read_again(sample: Path, cache: Path) -> None:
    load_folder(sample).snapshots  # noqa: B018 - fills the cache
    path = sample / "meta" / "0002_snapshot.json"
    before = next(s for s in load_folder(sample).snapshots if s.name == path.name)
    st = path.stat()
    raw = path.read_bytes()
    new_prev = "ffffffff-ffff-4fff-bfff-ffffffffffff"
    assert len(new_prev) == len(before.prev_id or "")
    time.sleep(0.02)
    path.write_bytes(raw.replace((before.prev_id or "").encode(), new_prev.encode(), 1))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back; ctime cannot be
    after = next(s for s in load_folder(sample).snapshots if s.name == path.name)
    assert after.prev_id == new_prev and after.id == before.id


def test_a_journal_edited_in_place_with_size_and_mtime_kept_is_read_again(sample: Path, cache: Path) -> None:
    load_folder(sample)
    path = sample / "meta" / "_journal.json"
    last = load_folder(sample).journal.entries[-1]  # type: ignore[union-attr]
    st = path.stat()
    raw = path.read_bytes()
    old, new = str(last.when).encode(), str(last.when + 1).encode()
    assert len(old) == len(new)
    time.sleep(0.02)
    path.write_bytes(raw.replace(old, new, 1))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = load_folder(sample)
    assert again.journal.entries[-1].when == last.when + 1  # type: ignore[union-attr]
    assert again.migrations[-1].when == last.when + 1


def _cache_files(cache: Path) -> list[Path]:
    return sorted((cache / "digests").glob("*.marshal"))


def test_a_cache_of_an_older_version_a_truncated_one_or_one_of_another_shape_is_a_cold_read(
    sample: Path, cache: Path
) -> None:
    import marshal

    cold = load_folder(sample)
    cold_snaps = cold.snapshots
    digests, heads = _cache_files(cache)[1], _cache_files(cache)[0]
    assert heads.name.endswith(".heads.marshal")
    fmt, entries = marshal.loads(digests.read_bytes())
    hfmt, hentries = marshal.loads(heads.read_bytes())
    # the previous version's file: same keys, values of its own shape (digest tuples, no journal entry)
    older = {k: (v[0], ("0" * 64, 1, None, False, False, None)) for k, v in entries.items() if k.endswith(".sql")}
    digests.write_bytes(marshal.dumps((("gtsd-digests", 2, fmt[2]), older)))
    heads.write_bytes(marshal.dumps((("gtsd-snapshot-heads", 0, hfmt[2]), hentries)))
    again = load_folder(sample)
    assert again.migrations == cold.migrations and again.journal == cold.journal and again.snapshots == cold_snaps
    assert marshal.loads(digests.read_bytes())[0] == fmt  # rewritten in this version's format
    for cut in (1, len(digests.read_bytes()) // 2):
        digests.write_bytes(digests.read_bytes()[:cut])
        heads.write_bytes(heads.read_bytes()[:cut])
        again = load_folder(sample)
        assert again.migrations == cold.migrations and again.snapshots == cold_snaps
    # this version's format, entries of the wrong shape (a hand-edited or damaged file that still loads)
    odd = {k: (v[0], ("short",)) for k, v in entries.items()}
    digests.write_bytes(marshal.dumps((fmt, odd)))
    heads.write_bytes(marshal.dumps((hfmt, {k: (v[0], (1, 2)) for k, v in hentries.items()})))
    again = load_folder(sample)
    assert again.migrations == cold.migrations and again.journal == cold.journal and again.snapshots == cold_snaps


def test_a_snapshot_body_read_later_is_the_one_whose_head_was_cached(sample: Path, cache: Path) -> None:
    """The body of a snapshot whose head came from the cache is read when asked: from the same file
    (stat unchanged), else an InputError naming it, never another version's body under the cached head."""
    from gtsd_tui.errors import InputError

    load_folder(sample).snapshots  # noqa: B018 - fills the cache
    snaps = load_folder(sample).snapshots
    assert snaps[1].text == (sample / "meta" / snaps[1].name).read_text()
    (sample / "meta" / snaps[0].name).unlink()
    with pytest.raises(InputError, match=f"{snaps[0].name}: cannot read"):
        _ = snaps[0].text
    path = sample / "meta" / snaps[2].name
    st = path.stat()
    time.sleep(0.02)
    path.write_bytes(path.read_bytes().replace(b'"id"', b'"Id"', 1))  # same size; the head it had is gone
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(InputError, match=f"{snaps[2].name}: changed on disk since the folder was read"):
        _ = snaps[2].data


def test_runs_at_once_each_see_the_folder_as_it_is(sample: Path, cache: Path) -> None:
    """Four processes load the folder while files keep changing under them (each change a miss, so a
    save): every load equals a cold load of what was there, and no temporary file is left behind."""
    import subprocess
    import sys

    script = (
        "import sys, json\n"
        "from gtsd_tui.core.migrations import digest_cache\n"
        "from gtsd_tui.core.migrations.folder import load_folder\n"
        "digest_cache.RACY_NS = 0\n"
        "out = []\n"
        "for _ in range(25):\n"
        "    f = load_folder(sys.argv[1])\n"
        "    out.append(sorted((m.tag, m.hash) for m in f.migrations) + sorted((s.name, s.id) for s in f.snapshots))\n"
        "print(json.dumps(out))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(sample)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    targets = [
        sample / "0003_today_checklist.sql",
        sample / "meta" / "0003_snapshot.json",
        sample / "meta" / "_journal.json",
    ]
    while any(p.poll() is None for p in procs):
        for t in targets:
            os.utime(t)  # same bytes, a new ctime: a miss and a save in every process
        time.sleep(0.005)
    outs = [p.communicate()[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    monkey_cold = dict(os.environ, GTSD_NO_DIGEST_CACHE="1")
    expected = subprocess.run(
        [sys.executable, "-c", script.replace("range(25)", "range(1)"), str(sample)],
        capture_output=True,
        text=True,
        env=monkey_cold,
        check=True,
    ).stdout
    import json

    want = json.loads(expected)[0]
    for out in outs:
        assert all(run == want for run in json.loads(out))
    assert [p.name for p in (cache / "digests").iterdir() if p.name.startswith(".tmp-")] == []


def test_a_drizzle_1_0_folder_is_read_through_the_cache_too(tmp_path: Path, cache: Path, monkeypatch) -> None:
    """A v1 folder (a subfolder per migration): warm digests equal cold ones and come from the cache; a
    file edited in place with its size and mtime kept is read again."""
    folder = tmp_path / "drizzle"
    for name, body in [("20250101000000_init", "CREATE TABLE a (id int);\n"), ("20250102000000_b", "SELECT 1;\n")]:
        (folder / name).mkdir(parents=True)
        (folder / name / "migration.sql").write_text(body)
    time.sleep(0.02)
    cold = _digests(folder)
    assert set(cold) == {"20250101000000_init", "20250102000000_b"}
    reads: list[str] = []
    from gtsd_tui.core.migrations import folder as folder_mod

    for module in (digest_cache, folder_mod):  # wherever a digest may be computed
        monkeypatch.setattr(module, "digest_file", lambda p: reads.append(p) or digest_file(p), raising=False)
    assert _digests(folder) == cold
    assert reads == []
    path = folder / "20250102000000_b" / "migration.sql"
    st = path.stat()
    time.sleep(0.02)
    path.write_text("SELECT 2;\n")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = _digests(folder)
    assert after["20250102000000_b"] == digest_file(str(path)) != cold["20250102000000_b"]
    assert after["20250101000000_init"] == cold["20250101000000_init"]
