"""Lint settings: squawk's ``.squawk.toml`` keys and flags, plus gtsd-tui's own ``[gtsd-tui]`` table."""

from __future__ import annotations

import re

from gtsd_tui.core.lint.rules import RULES, expand, unknown
from gtsd_tui.core.record import FrozenRecord, Record
from gtsd_tui.errors import InputError

LATEST_PG = 18


class Settings(FrozenRecord):
    _fields = ("pg_version", "assume_in_transaction", "excluded", "included")

    pg_version: int  # major version
    # None: drizzle's semantics (each migration in a transaction, a CONCURRENTLY-only one in autocommit);
    # True/False: squawk's assume_in_transaction, as set in .squawk.toml or on the command line
    assume_in_transaction: bool | None
    excluded: frozenset[str]
    included: frozenset[str]

    def __init__(
        self,
        pg_version: int = LATEST_PG,
        assume_in_transaction: bool | None = None,
        excluded: frozenset[str] = frozenset(),
        included: frozenset[str] = frozenset(),
    ) -> None:
        self.pg_version = pg_version
        self.assume_in_transaction = assume_in_transaction
        self.excluded = excluded
        self.included = included

    def enabled(self, rule: str) -> bool:
        if rule in self.excluded:
            return False
        return RULES[rule].default or rule in self.included

    @property
    def in_transaction(self) -> bool:
        return self.assume_in_transaction is not False

    def plain(self) -> Settings:
        """For a file outside the migrations folder: squawk's default (each statement on its own, unless
        the file says BEGIN) when nothing was set; drizzle's one transaction applies to its folder only."""
        return self if self.assume_in_transaction is not None else self.replaced(assume_in_transaction=False)


def pg_major(value: str | int | float, where: str) -> int:
    m = re.fullmatch(r"\s*(\d+)(?:\.\d+)*\s*", str(value))
    if not m or not 9 <= int(m.group(1)) <= 99:
        raise InputError(f"{where}: pg_version {value!r} is not a PostgreSQL version such as 16 or 13.0")
    return int(m.group(1))


def rule_names(names: object, where: str) -> frozenset[str]:
    if isinstance(names, str):
        names = [n for n in names.split(",")]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(f"{where}: expected a list of rule names")
    bad = unknown(names)
    if bad:
        raise InputError(f"{where}: unknown rule {bad[0]!r} (gtsd-tui lint --explain lists them)")
    return frozenset(expand(names))


def from_toml(text: str, where: str, base: Settings | None = None) -> Settings:
    """Settings from a ``.squawk.toml``: squawk's ``excluded_rules``, ``pg_version``,
    ``assume_in_transaction``; ``[gtsd-tui]`` may add ``included_rules`` and ``excluded_rules``."""
    import tomllib  # only when a .squawk.toml is there: not on every start-up

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc})") from None
    s = base or Settings()
    if "pg_version" in data:
        s = s.replaced(pg_version=pg_major(data["pg_version"], where))
    if "assume_in_transaction" in data:
        if not isinstance(data["assume_in_transaction"], bool):
            raise InputError(f"{where}: assume_in_transaction must be true or false")
        s = s.replaced(assume_in_transaction=data["assume_in_transaction"])
    excluded = set(s.excluded) | rule_names(data.get("excluded_rules", []), f"{where}: excluded_rules")
    included = set(s.included)
    ours = data.get("gtsd-tui", {})
    if not isinstance(ours, dict):
        raise InputError(f"{where}: [gtsd-tui] must be a table")
    excluded |= rule_names(ours.get("excluded_rules", []), f"{where}: [gtsd-tui] excluded_rules")
    included |= rule_names(ours.get("included_rules", []), f"{where}: [gtsd-tui] included_rules")
    return s.replaced(excluded=frozenset(excluded), included=frozenset(included))


class Overrides(Record):
    """Command-line flags; they win over the file, as squawk's do."""

    _fields = ("pg_version", "assume_in_transaction", "exclude", "include")

    pg_version: str | None
    assume_in_transaction: bool | None
    exclude: list[str]
    include: list[str]

    def __init__(
        self,
        pg_version: str | None = None,
        assume_in_transaction: bool | None = None,
        exclude: list[str] | None = None,
        include: list[str] | None = None,
    ) -> None:
        self.pg_version = pg_version
        self.assume_in_transaction = assume_in_transaction
        self.exclude = [] if exclude is None else exclude
        self.include = [] if include is None else include

    def apply(self, s: Settings) -> Settings:
        if self.pg_version is not None:
            s = s.replaced(pg_version=pg_major(self.pg_version, "--pg-version"))
        if self.assume_in_transaction is not None:
            s = s.replaced(assume_in_transaction=self.assume_in_transaction)
        ex = frozenset().union(*(rule_names(e, "--exclude") for e in self.exclude))
        inc = frozenset().union(*(rule_names(i, "--include") for i in self.include))
        return s.replaced(excluded=s.excluded | ex, included=s.included | inc)
