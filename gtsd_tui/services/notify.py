"""How services report progress to a person: a callable taking one line (stderr by default)."""

from __future__ import annotations

import sys

from gtsd_tui.core.display import shown

TYPE_CHECKING = False
if TYPE_CHECKING:  # (a type for annotations: collections.abc is not imported at start-up)
    from collections.abc import Callable

    Notify = Callable[[str], None]


def stderr_notify(message: str) -> None:
    print(shown(message), file=sys.stderr)
