"""The rollout record's file: one JSON object per line, appended and fsync'd, under an exclusive lock.

``fleet migrate`` holds an exclusive ``flock`` on the record for its whole run: a second rollout on
the same record is refused (exit 4) before any connection. Each event is one ``write`` of one line
on an ``O_APPEND`` descriptor, then ``fsync``: a crash leaves at most a last line cut short, which
the fold skips. ``fleet status`` reads without writing; a shared lock it cannot take tells it a
rollout is running now. Nothing here holds a password: targets are written by name and masked URL.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gtsd_tui.core.fleets.rollout import RolloutState, fold
from gtsd_tui.errors import InputError, LockTimeout

SUFFIX = ".rollout.jsonl"


def default_record(targets_file: Path) -> Path:
    """The record beside a targets file: ``targets.txt`` -> ``targets.txt.rollout.jsonl``."""
    return targets_file.with_name(targets_file.name + SUFFIX)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class RecordWriter:
    """The record open for appending, locked for this process. Thread-safe; close() releases it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        created = not path.exists()
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"{path}: cannot write the rollout record: {exc.strerror} (--record FILE)") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            pid = _last_pid(path)
            who = f" (pid {pid})" if pid else ""
            raise LockTimeout(f"{path}: another fleet migrate{who} is writing this rollout record") from None
        self._checked = False  # whether a last line cut short by a crash was ended (on the first write)
        if created:  # the new name itself survives a crash
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def write(self, event: dict[str, Any]) -> None:
        line = json.dumps({**event, "at": now()}, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode()
        with self._lock:
            if self.fd < 0:
                return
            if not self._checked:
                self._checked = True
                size = os.fstat(self.fd).st_size
                if size and _last_byte(self.path, size) != b"\n":
                    data = b"\n" + data  # a last line cut short by a crash is ended first
            os.write(self.fd, data)
            os.fsync(self.fd)

    def read(self) -> RolloutState | None:
        """The last rollout of this record, read while holding it (its own starts are ``running``)."""
        return read_record(self.path, live=True)

    def close(self) -> None:
        with self._lock:
            if self.fd >= 0:
                os.close(self.fd)  # releases the flock
                self.fd = -1


def is_live(path: Path) -> bool:
    """True when a ``fleet migrate`` holds the record now."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def read_record(path: Path, *, live: bool | None = None) -> RolloutState | None:
    """The last rollout in a record file (None when it holds none); InputError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the rollout record: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a rollout record (not UTF-8)") from None
    return fold(text, str(path), live=is_live(path) if live is None else live)


def _last_byte(path: Path, size: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(size - 1)
        return f.read(1)


def _last_pid(path: Path) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in reversed(lines):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") in ("rollout", "resume"):
            pid = event.get("pid")
            return int(pid) if isinstance(pid, int) else None
    return None
