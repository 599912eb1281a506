"""What the console is running now, as a word (``StrEnum``, as the project's others: ``core/vocab.py``)."""

from __future__ import annotations

from enum import StrEnum


class Busy(StrEnum):
    """What the console is running now, which keys wait for (shown in the header)."""

    IDLE = ""
    APPLYING = "applying"
    APPLYING_TO = "applying to"  # an environment of the Environments view, named after it
    RESETTING = "resetting"
    BACKING_UP = "backing up"
    REHEARSING = "rehearsing"  # Review's rehearsal: the console's own sessions to the target stay away
