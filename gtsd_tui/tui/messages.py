"""Messages the workers post; named as past-tense events."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class StateLoaded(Message):
    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state


class PreviewLoaded(Message):
    def __init__(self, preview: Any) -> None:
        super().__init__()
        self.preview = preview


class ApplyProgressed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ApplyFinished(Message):
    def __init__(self, applied: list[str], error: Any | None) -> None:
        super().__init__()
        self.applied = applied
        self.error = error


class StatsUpdated(Message):
    def __init__(self, stats: Any, error: str | None = None) -> None:
        super().__init__()
        self.stats = stats
        self.error = error


class RenumberDone(Message):
    def __init__(self, summary: str, error: str | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error


class FindingsLoaded(Message):
    def __init__(self, findings: Any, state: Any) -> None:
        super().__init__()
        self.findings = findings
        self.state = state  # the state they were computed for
