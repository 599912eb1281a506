"""Durations in PostgreSQL's forms: ``200ms``, ``2s``, ``1min``, ``1h``; a bare number is seconds."""

from __future__ import annotations

import re

from gtsd_tui.errors import InputError

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_FORM = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*")


def parse_duration(text: str, what: str = "duration") -> float:
    """Seconds for ``text``; InputError (exit 2) naming the accepted forms otherwise."""
    m = _FORM.fullmatch(str(text))
    if m is None:
        raise InputError(f"{what} {text!r}: not a duration (forms: 200ms, 2s, 1min, 1h; a bare number is seconds)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def pg_duration(seconds: float) -> str:
    """The value for ``SET lock_timeout`` / ``statement_timeout`` (whole milliseconds; 0 = off)."""
    return f"{round(seconds * 1000)}ms"
