"""The gate the console's reads and polls pass while a rehearsal keeps them away from the target
(services/console_gate.py), with real threads: ordering is checked with events, never with timings."""

from __future__ import annotations

import threading

import pytest

from gtsd_tui.errors import DatabaseError
from gtsd_tui.services.console_gate import SessionGate


def test_aside_waits_for_the_read_in_flight_and_holds_back_the_next_until_it_is_over() -> None:
    gate = SessionGate()
    order: list[str] = []
    reading, finish_read = threading.Event(), threading.Event()
    rehearsing, finish_rehearsal = threading.Event(), threading.Event()

    def read_in_flight() -> None:
        with gate.use():
            reading.set()
            finish_read.wait(10)
            order.append("read in flight done")

    def rehearsal() -> None:
        with gate.aside() as idle:
            order.append(f"aside (idle={idle})")
            rehearsing.set()
            finish_rehearsal.wait(10)
            order.append("rehearsal done")

    def later_read() -> None:
        with gate.use():
            order.append("later read")

    first = threading.Thread(target=read_in_flight)
    first.start()
    assert reading.wait(10)
    second = threading.Thread(target=rehearsal)
    second.start()
    assert not rehearsing.wait(0.2)  # the read is still in flight: the rehearsal has not begun
    finish_read.set()
    assert rehearsing.wait(10)
    third = threading.Thread(target=later_read)
    third.start()
    third.join(0.2)
    assert third.is_alive() and "later read" not in order  # held back, not connecting
    finish_rehearsal.set()
    for t in (first, second, third):
        t.join(10)
        assert not t.is_alive()
    assert order == ["read in flight done", "aside (idle=True)", "rehearsal done", "later read"]


def test_a_read_that_never_ends_is_abandoned_after_the_wait() -> None:
    gate = SessionGate()
    holding, release = threading.Event(), threading.Event()

    def stuck() -> None:
        with gate.use():
            holding.set()
            release.wait(10)

    t = threading.Thread(target=stuck)
    t.start()
    assert holding.wait(10)
    with gate.aside(wait=0.05) as idle:
        assert idle is False  # the caller closes what it can; the stuck read gives its connection back later
    release.set()
    t.join(10)


def test_closing_the_console_releases_the_reads_held_back_without_letting_them_connect() -> None:
    gate = SessionGate()
    errors: list[BaseException] = []
    entered = threading.Event()

    def held() -> None:
        try:
            with gate.use():
                entered.set()
        except DatabaseError as exc:
            errors.append(exc)

    with gate.aside():
        t = threading.Thread(target=held)
        t.start()
        t.join(0.2)
        assert t.is_alive()
        gate.close()
        t.join(10)
        assert not t.is_alive()
    assert not entered.is_set() and [str(e) for e in errors] == ["the console is closing"]
    with pytest.raises(DatabaseError), gate.use():
        pass
