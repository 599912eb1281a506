"""The messages every feature shares (the state, the findings, the preview, the statistics, the folder
watcher), posted by the workers of ``tui/jobs.py`` and handled by the main screen. A feature's own
results are ``FeatureMessage`` subclasses in its module under ``tui/features/``.

On the console's start path: the payload types are imported for the type checker only (apply, renumber
and environments load when used), and the classes are dataclasses without generated ``__eq__`` and
``__repr__`` (each generated method is compiled as the module loads; events compare by identity, and
Textual's Message has its own repr).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from gtsd_tui.core.merging.conflicts import Finding
    from gtsd_tui.services.console import ConsoleState, LiveStats
    from gtsd_tui.services.files import Preview, Signature


@dataclass(eq=False, repr=False)
class StateLoaded(Message):
    """A refresh: the folder and its status against the database."""

    state: ConsoleState
    signature: Signature  # the folder's, taken just before it was read (for the watcher)


@dataclass(eq=False, repr=False)
class OutlineLoaded(Message):
    """The folder's tags in run order, before the first state (the prefetch child's listing)."""

    tags: list[str]


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
class StatsUpdated(Message):
    """One statistics poll (or why there is none)."""

    stats: LiveStats | None
    error: str | None = None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StatsUpdated)  # a stalled UI never replays stale polls


@dataclass(eq=False, repr=False)
class FolderChanged(Message):
    """The migrations folder (or git's HEAD/index) changed on disk."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FolderChanged)
