"""The rollout record's file: the lock a second writer cannot take, and a line cut short by a kill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gtsd_tui.errors import LockTimeout
from gtsd_tui.services.rollout_record import RecordWriter, default_record, is_live, read_record


def test_one_writer_at_a_time_and_status_sees_it_live(tmp_path: Path) -> None:
    path = default_record(tmp_path / "targets.txt")
    assert path.name == "targets.txt.rollout.jsonl"
    first = RecordWriter(path)
    first.write({"event": "rollout", "version": 1, "id": "r1", "pid": 4242, "targets": [{"name": "a"}]})
    first.write({"event": "start", "target": "a", "wave": 1})
    with pytest.raises(LockTimeout, match=r"another fleet migrate \(pid 4242\)") as refused:
        RecordWriter(path)
    assert refused.value.exit_code == 4
    assert is_live(path) and read_record(path).targets["a"].state == "running"  # type: ignore[union-attr]
    first.close()
    assert not is_live(path) and read_record(path).targets["a"].state == "interrupted"  # type: ignore[union-attr]


def test_a_line_cut_short_is_ended_before_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    head = {"event": "rollout", "version": 1, "id": "r1", "targets": [{"name": "a"}, {"name": "b"}]}
    path.write_text(json.dumps(head) + "\n" + '{"event":"end","target":"a","state":"do')  # killed mid-write
    w = RecordWriter(path)
    w.write({"event": "resume", "id": "r1"})
    w.write({"event": "end", "target": "b", "state": "done"})
    w.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[2])["event"] == "resume"
    st = read_record(path)
    assert st is not None and st.resumes == 1
    assert {n: t.state for n, t in st.targets.items()} == {"a": "not_started", "b": "done"}
