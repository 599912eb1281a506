"""A finding of ``check``: one problem of a folder or of a database, with its severity and its fix."""

from __future__ import annotations

from gtsd_tui.core.record import FrozenRecord
from gtsd_tui.core.vocab import Severity

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up)
    from typing import Any

ERROR, WARNING = Severity.ERROR, Severity.WARNING


class Finding(FrozenRecord):
    _fields = ("code", "severity", "files", "message", "fix", "detail")
    _no_compare = ("detail",)

    code: str
    severity: Severity
    files: tuple[str, ...]
    message: str
    fix: str | None
    detail: dict[str, Any] | None  # schema-conflict / overlap

    def __init__(
        self,
        code: str,
        severity: Severity,
        files: tuple[str, ...],
        message: str,
        fix: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.severity = severity
        self.files = files
        self.message = message
        self.fix = fix
        self.detail = detail

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity,
            "files": list(self.files),
            "message": self.message,
            "fix": self.fix,
        }
        if self.detail is not None:
            out["detail"] = self.detail
        return out
