"""The staged rollout's pure parts: waves cut from cumulative shares, the halt policy, the record's fold."""

from __future__ import annotations

import json

import pytest

from gtsd_tui.core.fleets.rollout import Policy, RolloutPlan, fold, make_plan, merge, parse_rate, parse_waves
from gtsd_tui.errors import InputError


def test_waves_are_cumulative_shares_after_the_canary() -> None:
    assert parse_waves("10%,50%,100%") == (0.1, 0.5, 1.0)
    plan = make_plan(None, "10%,50%,100%", None, None)
    assert [list(w) for w in plan.waves(12)] == [[0, 1], list(range(2, 6)), list(range(6, 12))]  # ceil(1.2) = 2
    plan = make_plan(1, "25%,100%", None, None)  # the canary counts in the first share
    assert [(w.start, w.stop) for w in plan.waves(12)] == [(0, 1), (1, 3), (3, 12)]
    assert [(w.start, w.stop) for w in make_plan(5, "25%,100%", None, None).waves(12)] == [(0, 5), (5, 12)]
    assert [(w.start, w.stop) for w in make_plan(None, "10%,100%", None, None).waves(30)] == [(0, 3), (3, 30)]
    assert [(w.start, w.stop) for w in make_plan(20, None, None, None).waves(3)] == [(0, 3)]
    assert [(w.start, w.stop) for w in RolloutPlan().waves(4)] == [(0, 4)]
    for bad in ("10", "50%,10%,100%", "10%,50%", "0%,100%", "x%", "10%,10%,100%", "150%"):
        with pytest.raises(InputError, match="--waves"):
            parse_waves(bad)
    assert parse_rate("10%") == 0.1
    with pytest.raises(InputError):
        parse_rate("100%")
    with pytest.raises(InputError):
        make_plan(0, None, None, None)
    with pytest.raises(InputError):
        make_plan(None, None, 0, None)


def test_policy_and_its_defaults() -> None:
    assert Policy(2).breached(1, 12) is None and "--max-failures 2" in (Policy(2).breached(2, 12) or "")
    rate = Policy(None, 0.1)  # more than 10% of the targets of the waves begun
    assert rate.breached(1, 10) is None and rate.breached(2, 10) and rate.breached(1, 3)
    assert make_plan(None, None, None, None).policy == Policy()  # unstaged: a failure never halts
    assert make_plan(None, "50%,100%", None, None).policy == Policy(1)  # staged: the first failure halts
    assert make_plan(1, None, None, None).policy == Policy(1)
    assert make_plan(None, "50%,100%", 3, None).policy == Policy(3)
    assert make_plan(None, None, None, None, fail_fast=True).policy == Policy(1)
    plan = make_plan(2, "10%,100%", 3, "20%")
    assert RolloutPlan.from_json(json.loads(json.dumps(plan.as_json()))) == plan


def _lines(*events: dict) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


HEAD = {"event": "rollout", "version": 1, "id": "r1", "targets": [{"name": n} for n in ("a", "b", "c", "d")]}


def test_fold_tells_each_state_and_survives_a_line_cut_short() -> None:
    text = (
        _lines(
            {"event": "rollout", "version": 1, "id": "old", "targets": [{"name": "a"}]},
            {"event": "finish", "outcome": "completed"},
            HEAD,
            {"event": "wave", "wave": 1},
            {"event": "start", "target": "a", "wave": 1, "at": "1"},
            {"event": "start", "target": "b", "wave": 1, "at": "2"},
            {"event": "end", "target": "a", "wave": 1, "state": "done", "applied": ["0000_x"], "at": "3"},
            {"event": "end", "target": "b", "state": "failed", "applied": [], "error": {"file": "f.sql", "line": 3}},
            {"event": "start", "target": "c", "wave": 1, "at": "4"},
        )
        + '{"event": "end", "target": "c", "sta'
    )  # SIGKILL while writing
    st = fold(text, "rec")
    assert st is not None and st.id == "r1" and st.outcome is None
    assert {n: t.state for n, t in st.targets.items()} == {
        "a": "done",
        "b": "failed",
        "c": "interrupted",
        "d": "not_started",
    }
    assert st.targets["b"].error == {"file": "f.sql", "line": 3} and st.targets["a"].applied == ["0000_x"]
    assert fold(text, "rec", live=True).targets["c"].state == "running"  # type: ignore[union-attr]
    assert "never started" in st.summary() and "running when interrupted" in st.summary()
    # a resume: the cut line was ended by a newline before the next append
    text += "\n" + _lines(
        {"event": "resume", "id": "r1"},
        {"event": "start", "target": "c", "wave": 1},
        {"event": "end", "target": "c", "state": "done", "applied": ["0000_x"]},
        {"event": "finish", "outcome": "completed", "reason": "every wave ran"},
    )
    st = fold(text, "rec")
    assert st is not None and st.resumes == 1 and st.outcome == "completed"
    assert [t.state for t in st.targets.values()] == ["done", "failed", "done", "not_started"]
    with pytest.raises(InputError, match="rec:2:"):
        fold(_lines(HEAD) + '{"event": ]}\n', "rec")
    assert fold("", "rec") is None


def test_merge_takes_each_targets_newest_state() -> None:
    one = fold(_lines(HEAD, {"event": "end", "target": "a", "state": "failed", "at": "2026-01-01T00:00:01"}), "1")
    two = fold(
        _lines(
            HEAD,
            {"event": "end", "target": "a", "state": "done", "at": "2026-01-01T00:00:02"},
            {"event": "end", "target": "b", "state": "done", "at": "2026-01-01T00:00:00"},
        ),
        "2",
    )
    assert one is not None and two is not None
    merged = merge([one, two])
    assert merged["a"].state == "done" and merged["b"].state == "done" and merged["c"].state == "not_started"
