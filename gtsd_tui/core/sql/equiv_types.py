"""The classification of an edit to an applied migration, as the status and accept report it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EditClass:
    kind: str | None  # cosmetic | substantive | None (applied version not recoverable)
    commit: str | None  # the git commit holding the applied version
    diff: list[str]  # statement diff when substantive
    unknown: str | None  # why it could not be classified

    @property
    def cosmetic(self) -> bool:
        return self.kind == "cosmetic"

    def as_json(self) -> dict[str, object]:
        return {"edit": self.kind, "applied_commit": self.commit, "statement_diff": self.diff, "reason": self.unknown}
