"""Messages the workers post (past-tense events, typed payloads); handlers on the main thread act on them.

On the console's start path: the payload types are imported for the type checker only (apply, renumber
and environments load when used), and the classes are dataclasses without generated ``__eq__`` and
``__repr__`` (each generated method is compiled as the module loads; events compare by identity, and
Textual's Message has its own repr).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from gtsd_tui.core.merging.conflicts import Finding
    from gtsd_tui.services.apply import ApplyEvent, ApplyFailure
    from gtsd_tui.services.console import ConsoleState, LiveStats
    from gtsd_tui.services.console_envs import Environments
    from gtsd_tui.services.files import Preview, Signature
    from gtsd_tui.services.folder_ops import RenumberContext


@dataclass(eq=False, repr=False)
class StateLoaded(Message):
    """A refresh: the folder and its status against the database."""

    state: ConsoleState
    signature: Signature  # the folder's, taken just before it was read (for the watcher)


@dataclass(eq=False, repr=False)
class FindingsLoaded(Message):
    """Check's findings for a state already shown."""

    findings: list[Finding]
    state: ConsoleState  # the state they were computed for


@dataclass(eq=False, repr=False)
class PreviewLoaded(Message):
    """The highlighted migration's preview."""

    preview: Preview


@dataclass(eq=False, repr=False)
class FileOpened(Message):
    """A file (or a modified migration's diff) for the text view."""

    title: str
    lines: Sequence[str]


@dataclass(eq=False, repr=False)
class PlanShown(Message):
    """The plan an apply would run, for the confirm dialog (``error``: it cannot run; nothing was run)."""

    to_tag: str | None
    body: str | None
    error: str | None = None


@dataclass(eq=False, repr=False)
class ApplyProgressed(Message):
    """One event of a running apply."""

    event: ApplyEvent


@dataclass(eq=False, repr=False)
class ApplyFinished(Message):
    """An apply ended: what applied, and the failure if one stopped it."""

    applied: list[str]
    failure: ApplyFailure | None


@dataclass(eq=False, repr=False)
class StatsUpdated(Message):
    """One statistics poll (or why there is none)."""

    stats: LiveStats | None
    error: str | None = None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StatsUpdated)  # a stalled UI never replays stale polls


@dataclass(eq=False, repr=False)
class SignalSent(Message):
    """A cancel or terminate was sent to a backend."""

    pid: int
    terminate: bool
    delivered: bool


@dataclass(eq=False, repr=False)
class RenumberPlanned(Message):
    """A renumber plan for the confirm dialog."""

    context: RenumberContext
    body: list[str]  # the plan as the dialog shows it
    refused: list[str] | None = None  # why it cannot run (a clash between the branches)


@dataclass(eq=False, repr=False)
class RenumberDone(Message):
    """A renumber ran (or failed)."""

    summary: str
    error: str | None = None


@dataclass(eq=False, repr=False)
class ResetTargetKnown(Message):
    """The database a reset would recreate, and whether it is local."""

    name: str
    local: bool


@dataclass(eq=False, repr=False)
class ResetProgressed(Message):
    """One step of a running reset."""

    text: str


@dataclass(eq=False, repr=False)
class ResetFinished(Message):
    """A reset ended (its timings, or the error)."""

    timings: dict[str, float] | None
    error: str | None = None


@dataclass(eq=False, repr=False)
class BackupFinished(Message):
    """A backup ended (its file, or the error)."""

    path: str | None
    error: str | None = None
    then_reset: bool = False


@dataclass(eq=False, repr=False)
class MigrationCreated(Message):
    """A new migration file was written (or could not be)."""

    file: str
    error: str | None = None


@dataclass(eq=False, repr=False)
class FolderChanged(Message):
    """The migrations folder (or git's HEAD/index) changed on disk."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FolderChanged)


@dataclass(eq=False, repr=False)
class EnvironmentsLoaded(Message):
    """Every environment's state (the Environments view)."""

    envs: Environments


@dataclass(eq=False, repr=False)
class EnvApplyProgressed(Message):
    """One event of an apply to another environment."""

    env: str
    event: ApplyEvent


@dataclass(eq=False, repr=False)
class EnvApplyFinished(Message):
    """An apply to another environment ended."""

    env: str
    applied: list[str]
    failure: ApplyFailure | None
