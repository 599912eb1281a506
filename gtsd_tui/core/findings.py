"""A finding of ``check``: one problem of a folder or of a database, with its severity and its fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.core.vocab import Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    files: tuple[str, ...]
    message: str
    fix: str | None = None
    detail: dict[str, Any] | None = field(default=None, compare=False)  # schema-conflict / overlap

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
