"""migrate's safety settings: lock_timeout, statement_timeout and lock retries.

Flag, then ``GTSD_LOCK_TIMEOUT`` / ``GTSD_STATEMENT_TIMEOUT`` / ``GTSD_LOCK_RETRIES`` from the
environment or ``.env``, then the defaults. ``safe`` (the console's apply from Review) uses the
careful defaults: a short lock_timeout with retries, so a blocked ALTER never queues the app behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from gtsd_tui.config import Settings
from gtsd_tui.core.durations import parse_duration
from gtsd_tui.errors import InputError

DEFAULTS = {"GTSD_LOCK_TIMEOUT": "10s", "GTSD_STATEMENT_TIMEOUT": "600s", "GTSD_LOCK_RETRIES": "0"}
SAFE_DEFAULTS = {"GTSD_LOCK_TIMEOUT": "2s", "GTSD_STATEMENT_TIMEOUT": "600s", "GTSD_LOCK_RETRIES": "3"}


@dataclass(frozen=True)
class SafetyOptions:
    lock_timeout: float
    statement_timeout: float
    retries: int


def resolve(
    settings: Settings,
    *,
    lock_timeout: str | None = None,
    statement_timeout: str | None = None,
    retries: str | None = None,
    safe: bool = False,
) -> SafetyOptions:
    """Parse each setting where it was given; InputError (exit 2) names the flag or variable."""
    defaults = SAFE_DEFAULTS if safe else DEFAULTS

    def pick(flag: str | None, name: str, key: str) -> tuple[str, str]:
        if flag is not None:
            return flag, name
        given = settings.apply_defaults.get(key)
        return (given[0], f"{key} ({given[1]})") if given else (defaults[key], "default")

    lt = parse_duration(*pick(lock_timeout, "--lock-timeout", "GTSD_LOCK_TIMEOUT"))
    st = parse_duration(*pick(statement_timeout, "--statement-timeout", "GTSD_STATEMENT_TIMEOUT"))
    raw, where = pick(retries, "--retries", "GTSD_LOCK_RETRIES")
    if not raw.strip().isdigit():
        raise InputError(f"{where} {raw!r}: not a whole number of retries")
    return SafetyOptions(lt, st, int(raw))
