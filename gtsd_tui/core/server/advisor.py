"""The guide's pool-sizing rule: ``max per instance = usable connections / instances``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONNECTION_TS = Path("apps/api/src/db/connection.ts")


@dataclass(frozen=True)
class Advice:
    max_connections: int
    reserved: int
    instances: int
    pool_max: int | None

    @property
    def usable(self) -> int:
        return max(0, self.max_connections - self.reserved)

    @property
    def per_instance(self) -> int:
        return self.usable // max(1, self.instances)

    @property
    def demand(self) -> int | None:
        return None if self.pool_max is None else self.pool_max * self.instances

    @property
    def headroom(self) -> int | None:
        return None if self.demand is None else self.usable - self.demand

    @property
    def warning(self) -> str | None:
        if self.demand is None or self.headroom is None or self.headroom >= 0:
            return None
        return (
            f"{self.instances} instances x pool max {self.pool_max} = {self.demand} connections, but the server "
            f"allows {self.usable} ({self.max_connections} max_connections - {self.reserved} reserved): "
            f"set max to {self.per_instance} per instance or raise max_connections"
        )

    def lines(self) -> list[str]:
        out = [
            f"usable connections: {self.max_connections} - {self.reserved} reserved = {self.usable}",
            f"max per instance = {self.usable} / {self.instances} instance(s) = {self.per_instance}",
        ]
        if self.pool_max is not None:
            out.append(
                f"configured pool max {self.pool_max} x {self.instances} = {self.demand}; headroom {self.headroom}"
            )
        if self.warning:
            out.append("warning: " + self.warning)
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "max_connections": self.max_connections,
            "reserved": self.reserved,
            "usable": self.usable,
            "instances": self.instances,
            "pool_max": self.pool_max,
            "per_instance": self.per_instance,
            "demand": self.demand,
            "headroom": self.headroom,
            "warning": self.warning,
        }


def read_pool_max(cwd: Path) -> int | None:
    """``max:`` of the app's pool in ``apps/api/src/db/connection.ts``, when the file has one."""
    path = cwd / CONNECTION_TS
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return None
    m = re.search(r"\bmax\s*:\s*(\d+)", re.sub(r"//[^\n]*", "", text))
    return int(m.group(1)) if m else None
