"""Errors that end a command with a one-line message and a documented exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3
EXIT_LOCK = 4


class GtsdError(Exception):
    """A failure the user can act on. ``str(err)`` is the one-line message."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(GtsdError):
    """Bad input: a malformed journal, an unreadable file, a bad flag (exit 2)."""

    exit_code = EXIT_USAGE


class DatabaseError(GtsdError):
    """The database could not be reached or a statement failed (exit 3)."""

    exit_code = EXIT_DATABASE


class PlanRefused(GtsdError):
    """The apply plan cannot run as asked; nothing was executed (its exit code set where it is raised)."""


class LockTimeout(GtsdError):
    """The migration lock was not acquired in time (exit 4)."""

    exit_code = EXIT_LOCK
