"""How services report progress to a person: a callable taking one line (stderr by default)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from gtsd_tui.core.display import shown

Notify = Callable[[str], None]


def stderr_notify(message: str) -> None:
    print(shown(message), file=sys.stderr)
