"""Results that services hand to the console and the CLI, below both (no service imports them back)."""

from __future__ import annotations

from dataclasses import dataclass

from gtsd_tui.core.server.activity import Session


@dataclass(frozen=True)
class LiveStats:
    """One poll for the Connections pane (the server's counts, our pool, the sessions, the pool advice)."""

    total: int
    max_connections: int
    active: int
    idle: int
    idle_in_tx: int
    waiting: int
    tps: float | None
    longest_tx_s: float | None
    longest_idle_tx_s: float | None
    blocked_wait_s: float | None
    blocked: tuple[str, ...]
    sessions: tuple[Session, ...]
    pool: str | None
    notices: tuple[str, ...]
    advice: tuple[str, ...]

    @property
    def usage_percent(self) -> float:
        return 100.0 * self.total / self.max_connections if self.max_connections else 0.0


@dataclass
class NewMigration:
    tag: str
    file: str
    when: int
    snapshot: str
