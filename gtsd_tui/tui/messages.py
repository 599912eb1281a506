"""Messages the workers post (past-tense events, typed payloads); handlers on the main thread act on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from gtsd_tui.core.conflicts import Finding
from gtsd_tui.services.apply import ApplyEvent, ApplyFailure
from gtsd_tui.services.console import ConsoleState, LiveStats
from gtsd_tui.services.console_envs import Environments
from gtsd_tui.services.files import Preview, Signature
from gtsd_tui.services.folder_ops import RenumberContext


@dataclass
class StateLoaded(Message):
    state: ConsoleState
    signature: Signature  # the folder's, taken just before it was read (for the watcher)


@dataclass
class FindingsLoaded(Message):
    findings: list[Finding]
    state: ConsoleState  # the state they were computed for


@dataclass
class PreviewLoaded(Message):
    preview: Preview


@dataclass
class FileOpened(Message):
    title: str
    lines: Sequence[str]


@dataclass
class PlanShown(Message):
    """The plan an apply would run, for the confirm dialog (``error``: it cannot run; nothing was run)."""

    to_tag: str | None
    body: str | None
    error: str | None = None


@dataclass
class ApplyProgressed(Message):
    event: ApplyEvent


@dataclass
class ApplyFinished(Message):
    applied: list[str]
    failure: ApplyFailure | None


@dataclass
class StatsUpdated(Message):
    stats: LiveStats | None
    error: str | None = None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StatsUpdated)  # a stalled UI never replays stale polls


@dataclass
class SignalSent(Message):
    pid: int
    terminate: bool
    delivered: bool


@dataclass
class RenumberPlanned(Message):
    context: RenumberContext
    body: list[str]  # the plan as the dialog shows it
    refused: list[str] | None = None  # why it cannot run (a clash between the branches)


@dataclass
class RenumberDone(Message):
    summary: str
    error: str | None = None


@dataclass
class ResetTargetKnown(Message):
    name: str
    local: bool


@dataclass
class ResetProgressed(Message):
    text: str


@dataclass
class ResetFinished(Message):
    timings: dict[str, float] | None
    error: str | None = None


@dataclass
class BackupFinished(Message):
    path: str | None
    error: str | None = None
    then_reset: bool = False


@dataclass
class MigrationCreated(Message):
    file: str
    error: str | None = None


@dataclass
class FolderChanged(Message):
    """The migrations folder (or git's HEAD/index) changed on disk."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FolderChanged)


@dataclass
class EnvironmentsLoaded(Message):
    """Every environment's state (the Environments view)."""

    envs: Environments


@dataclass
class EnvApplyProgressed(Message):
    env: str
    event: ApplyEvent


@dataclass
class EnvApplyFinished(Message):
    env: str
    applied: list[str]
    failure: ApplyFailure | None
