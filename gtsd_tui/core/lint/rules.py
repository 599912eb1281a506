"""Every lint rule: id, severity, on by default or opt-in, what it fires on and the safe alternative.

Rules that mean what a squawk rule means carry squawk's id (and link to squawk's page); the
guide's idempotency rules and the drizzle-aware ones keep gtsd-tui's own names.
"""

from __future__ import annotations

from gtsd_tui.core.record import FrozenRecord
from gtsd_tui.core.vocab import Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING
SQUAWK_DOCS = "https://squawkhq.com/docs/"


class Rule(FrozenRecord):
    _fields = ("id", "severity", "default", "squawk", "fires_on", "safe")

    id: str
    severity: Severity
    default: bool  # on unless excluded; False: opt-in (--include / .squawk.toml)
    squawk: bool  # squawk has a rule of this id and meaning
    fires_on: str
    safe: str

    def __init__(self, id: str, severity: Severity, default: bool, squawk: bool, fires_on: str, safe: str) -> None:
        self.id = id
        self.severity = severity
        self.default = default
        self.squawk = squawk
        self.fires_on = fires_on
        self.safe = safe

    @property
    def help_uri(self) -> str | None:
        return SQUAWK_DOCS + self.id if self.squawk else None


def _r(rid: str, sev: Severity, fires_on: str, safe: str, *, squawk: bool = True, default: bool = True) -> Rule:
    return Rule(rid, sev, default, squawk, fires_on, safe)


_ALL = [
    # ours: syntax, the guide's idempotency rules, drizzle's transaction semantics, the guide's header
    _r("syntax-error", ERROR, "a chunk PostgreSQL cannot parse (the parser's position)", "fix the SQL"),
    _r(
        "create-table-if-not-exists",
        WARNING,
        "CREATE TABLE without IF NOT EXISTS (TEMP tables excepted)",
        "CREATE TABLE IF NOT EXISTS",
        squawk=False,
    ),
    _r(
        "create-index-if-not-exists",
        WARNING,
        "a named CREATE INDEX without IF NOT EXISTS",
        "CREATE INDEX IF NOT EXISTS name ...",
        squawk=False,
    ),
    _r(
        "create-type-guarded",
        WARNING,
        "CREATE TYPE/DOMAIN outside a DO block that catches duplicate_object",
        "DO $$ BEGIN CREATE TYPE ...; EXCEPTION WHEN duplicate_object THEN null; END $$;",
        squawk=False,
    ),
    _r(
        "add-column-if-not-exists",
        WARNING,
        "ADD COLUMN without IF NOT EXISTS",
        "ALTER TABLE ... ADD COLUMN IF NOT EXISTS",
        squawk=False,
    ),
    _r("drop-if-exists", WARNING, "DROP ... / DROP COLUMN without IF EXISTS", "DROP ... IF EXISTS", squawk=False),
    _r(
        "concurrently-mixed",
        ERROR,
        "a CONCURRENTLY statement (CREATE/DROP INDEX, REINDEX, DETACH PARTITION) in a migration with others",
        "put the CONCURRENTLY statement in a migration of its own (gtsd-tui runs it outside a transaction)",
        squawk=False,
    ),
    _r(
        "missing-header",
        WARNING,
        "a hand-written migration without the guide's -- Migration:/-- Created:/-- Description: lines",
        "start the file with -- Migration:, -- Created: and -- Description: lines",
        squawk=False,
    ),
    # squawk's lock and rewrite rules
    _r(
        "adding-field-with-default",
        WARNING,
        "ADD COLUMN with a volatile DEFAULT (any DEFAULT before PG 11), GENERATED ... STORED, identity or serial",
        "add the column without the default, SET DEFAULT, then backfill in batches",
    ),
    _r(
        "adding-foreign-key-constraint",
        WARNING,
        "a foreign key (ADD CONSTRAINT or inline REFERENCES) added to an existing table without NOT VALID",
        "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID; VALIDATE CONSTRAINT in a later migration",
    ),
    _r(
        "adding-not-nullable-field",
        WARNING,
        "SET NOT NULL on an existing table (silent after a validated CHECK (col IS NOT NULL) on PG >= 12)",
        "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE it later; then SET NOT NULL",
    ),
    _r(
        "adding-required-field",
        ERROR,
        "ADD COLUMN ... NOT NULL without DEFAULT (and not generated) on an existing table",
        "add it nullable, backfill, then SET NOT NULL; or give it a non-volatile DEFAULT",
    ),
    _r(
        "adding-serial-primary-key-field",
        WARNING,
        "a PRIMARY KEY added to an existing table without USING INDEX",
        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX",
    ),
    _r("ban-char-field", WARNING, "a char(n)/character column", "text (or varchar)"),
    _r(
        "ban-concurrent-index-creation-in-transaction",
        ERROR,
        "CREATE INDEX CONCURRENTLY in a transaction: BEGIN ... COMMIT, assume_in_transaction, or a drizzle "
        "migration (drizzle-orm runs the batch in one transaction)",
        "a migration of its own, outside a transaction",
    ),
    _r("ban-drop-column", WARNING, "DROP COLUMN", "stop using the column in the app, deploy, then drop it"),
    _r("ban-drop-database", ERROR, "DROP DATABASE", "never from a migration"),
    _r("ban-drop-not-null", WARNING, "DROP NOT NULL (old code may rely on it)", "keep it until no reader needs it"),
    _r("ban-drop-table", WARNING, "DROP TABLE", "stop using the table, back it up, drop it in a later migration"),
    _r("ban-truncate-cascade", ERROR, "TRUNCATE ... CASCADE", "TRUNCATE the tables you mean, by name"),
    _r(
        "ban-duplicate-column-assignments",
        ERROR,
        "a column assigned or defined twice: UPDATE/ON CONFLICT/MERGE SET, INSERT columns, CREATE TABLE/VIEW, "
        "SELECT INTO (a[1], a[2] are parts, not duplicates)",
        "assign each column once",
    ),
    _r(
        "ban-alter-domain-with-add-constraint",
        WARNING,
        "ALTER DOMAIN ... ADD CONSTRAINT (checks every column of the domain)",
        "a CHECK on the tables instead",
    ),
    _r(
        "ban-create-domain-with-constraint",
        WARNING,
        "CREATE DOMAIN with a constraint",
        "a plain domain, with CHECK constraints on the tables",
    ),
    _r(
        "changing-column-type",
        WARNING,
        "ALTER COLUMN ... TYPE on an existing table (silent for varchar -> text or a wider varchar, known "
        "from this file)",
        "add a new column, backfill in batches, switch readers, drop the old one",
    ),
    _r(
        "constraint-missing-not-valid",
        WARNING,
        "a CHECK or FOREIGN KEY added to an existing table without NOT VALID, or VALIDATE in the same "
        "transaction as its NOT VALID (not UNIQUE/PRIMARY KEY: PostgreSQL refuses NOT VALID on them)",
        "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    ),
    _r(
        "disallowed-unique-constraint",
        WARNING,
        "UNIQUE or EXCLUDE added to an existing table (an index built under ACCESS EXCLUSIVE)",
        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
    ),
    _r(
        "identifier-too-long",
        ERROR,
        "any name longer than 63 bytes: tables, columns, indexes, constraints, policies, ... (PostgreSQL truncates it)",
        "a shorter name",
    ),
    _r("prefer-bigint-over-int", WARNING, "an integer/serial column", "bigint / bigint GENERATED ... AS IDENTITY"),
    _r("prefer-bigint-over-smallint", WARNING, "a smallint/smallserial column", "bigint"),
    _r("prefer-identity", WARNING, "a serial/bigserial column", "bigint GENERATED BY DEFAULT AS IDENTITY"),
    _r(
        "prefer-robust-stmts",
        WARNING,
        "outside a transaction (squawk's reading): CREATE TABLE/INDEX without IF NOT EXISTS, DROP INDEX/TABLE/TYPE "
        "without IF EXISTS, any ALTER TABLE action but the IF [NOT] EXISTS ones; CREATE INDEX CONCURRENTLY "
        "without IF NOT EXISTS anywhere",
        "IF NOT EXISTS / IF EXISTS, so a migration that failed half-way can be re-run",
    ),
    _r("prefer-text-field", WARNING, "a varchar(n) column", "text, with a CHECK (length(col) <= n) if needed"),
    _r("prefer-timestamp-tz", WARNING, "a timestamp without time zone column", "timestamptz"),
    _r("renaming-column", WARNING, "RENAME COLUMN", "add the new column, dual-write, migrate readers, drop the old"),
    _r("renaming-table", WARNING, "ALTER TABLE ... RENAME TO", "a new table (or a view under the old name)"),
    _r(
        "renaming-object",
        WARNING,
        "other renames: constraints, indexes, types, ALTER TYPE ... RENAME VALUE, ...",
        "keep the old name until no client uses it",
    ),
    _r(
        "require-concurrent-index-creation",
        WARNING,
        "CREATE INDEX without CONCURRENTLY on a table this file did not create",
        "CREATE INDEX CONCURRENTLY in a migration of its own",
    ),
    _r(
        "require-concurrent-index-deletion",
        WARNING,
        "DROP INDEX without CONCURRENTLY",
        "DROP INDEX CONCURRENTLY in a migration of its own",
    ),
    _r(
        "prefer-repack",
        WARNING,
        "VACUUM FULL or CLUSTER (from pg_version 19, where REPACK exists)",
        "REPACK (CONCURRENTLY) table",
    ),
    _r("require-concurrent-reindex", WARNING, "REINDEX without CONCURRENTLY", "REINDEX ... CONCURRENTLY (PG 12+)"),
    _r(
        "require-concurrent-partition-detach",
        WARNING,
        "DETACH PARTITION without CONCURRENTLY (PG 14+)",
        "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY in a migration of its own",
    ),
    _r(
        "require-enum-value-ordering",
        WARNING,
        "ALTER TYPE ... ADD VALUE without BEFORE/AFTER",
        "ADD VALUE 'x' BEFORE/AFTER 'y', so the order is explicit",
    ),
    _r(
        "transaction-nesting",
        ERROR,
        "BEGIN/COMMIT/ROLLBACK in a migration (drizzle-orm and gtsd-tui run the transaction)",
        "remove them: the migrator runs the transaction",
    ),
    _r("ban-uncommitted-transaction", ERROR, "BEGIN without a COMMIT in the file", "COMMIT, or no BEGIN at all"),
    # squawk's breaking-change rules (on by default in squawk 2.70)
    _r("ban-drop-view", WARNING, "DROP VIEW / MATERIALIZED VIEW", "stop using it first, drop it later"),
    _r("ban-drop-function", WARNING, "DROP FUNCTION / PROCEDURE", "stop calling it first, drop it later"),
    _r("ban-drop-schema", WARNING, "DROP SCHEMA", "stop using it first, drop it later"),
    _r("ban-drop-sequence", WARNING, "DROP SEQUENCE", "stop using it first, drop it later"),
    _r("ban-drop-domain", WARNING, "DROP DOMAIN", "stop using it first, drop it later"),
    _r("ban-drop-type", WARNING, "DROP TYPE", "stop using it first, drop it later"),
    _r("ban-drop-extension", WARNING, "DROP EXTENSION", "stop using it first, drop it later"),
    _r("ban-drop-constraint", WARNING, "DROP CONSTRAINT (old code may rely on it)", "keep it until no reader needs it"),
    _r(
        "ban-drop-generated-expression",
        WARNING,
        "ALTER COLUMN ... DROP EXPRESSION",
        "keep the generated column until no reader needs it",
    ),
    _r("ban-alter-identity", WARNING, "ALTER COLUMN ... DROP IDENTITY", "keep the identity until no writer needs it"),
    _r("ban-drop-default", WARNING, "ALTER COLUMN ... DROP DEFAULT", "keep it until every writer sets the column"),
    _r("ban-set-schema", WARNING, "ALTER ... SET SCHEMA", "a new object in the new schema, then move readers"),
    # squawk's opt-in rules
    _r("ban-drop-index", WARNING, "DROP INDEX", "make sure no query needs it first", default=False),
    _r("ban-drop-trigger", WARNING, "DROP TRIGGER", "make sure nothing relies on it first", default=False),
    _r("ban-drop-policy", WARNING, "DROP POLICY", "make sure access stays as intended first", default=False),
    _r(
        "ban-add-column",
        WARNING,
        "ADD COLUMN (new code may rely on it)",
        "deploy readers that tolerate it",
        default=False,
    ),
    _r(
        "ban-add-enum-value",
        WARNING,
        "ALTER TYPE ... ADD VALUE",
        "deploy readers that accept the value first",
        default=False,
    ),
    _r(
        "require-table-schema",
        WARNING,
        "a table named without its schema: CREATE TABLE [AS], ALTER TABLE (renames too), DROP TABLE",
        "schema.table",
        default=False,
    ),
    _r(
        "require-lock-timeout",
        WARNING,
        "the first slow statement (DDL but a plain CREATE TABLE, LOCK, VACUUM, ...) with no SET lock_timeout "
        "before it (opt-in: drizzle-kit never writes one)",
        "SET lock_timeout = '2s'; at the top of the migration",
        default=False,
    ),
    _r(
        "require-statement-timeout",
        WARNING,
        "a slow statement with no SET statement_timeout before it (opt-in, as require-lock-timeout)",
        "SET statement_timeout = '5s'; at the top of the migration",
        default=False,
    ),
]

RULES: dict[str, Rule] = {r.id: r for r in _ALL}

# Names earlier versions of gtsd-tui used; ignore comments and --exclude still accept them.
ALIASES: dict[str, tuple[str, ...]] = {
    "not-null-column-without-default": ("adding-required-field",),
    "set-not-null": ("adding-not-nullable-field",),
    "drop-column": ("ban-drop-column",),
    "drop-table": ("ban-drop-table",),
    "rename": ("renaming-column", "renaming-table", "renaming-object"),
    "change-column-type": ("changing-column-type",),
    "index-not-concurrently": ("require-concurrent-index-creation",),
    "constraint-not-valid": ("constraint-missing-not-valid", "adding-foreign-key-constraint"),
    "volatile-default": ("adding-field-with-default",),
    "transaction-control": ("transaction-nesting",),
    "require-timeout-settings": ("require-lock-timeout", "require-statement-timeout"),
}


def expand(names: list[str] | set[str] | tuple[str, ...]) -> set[str]:
    """Rule ids for names given by a user: current ids, old gtsd-tui ids and squawk's aliases."""
    out: set[str] = set()
    for n in names:
        n = n.strip()
        if n:
            out.update(ALIASES.get(n, (n,)))
    return out


def unknown(names: list[str] | set[str] | tuple[str, ...]) -> list[str]:
    return [n for n in names if n.strip() and n.strip() not in RULES and n.strip() not in ALIASES]
