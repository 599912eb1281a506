"""Shapes where lint used to report a problem that is not one (issue 26), and a syntax error that used
to hide every later finding of a file without breakpoints."""

from __future__ import annotations

from gtsd_tui.core.lint import Settings, lint_text

ALL_ON = Settings(included=frozenset({"ban-add-enum-value", "require-table-schema"}))


def rules(text: str, settings: Settings = ALL_ON) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in lint_text("m.sql", text, settings=settings)]


def test_an_index_guarded_by_if_not_exists_in_a_do_block_is_idempotent() -> None:
    # the shape of ../shared/corpus/dittofeed (0000)
    text = (
        'CREATE TABLE IF NOT EXISTS "public"."AdminApiKey" ("workspaceId" uuid, "name" text);\n'
        "DO $$ BEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'AdminApiKey_workspaceId_name_key') THEN\n"
        '        CREATE UNIQUE INDEX "AdminApiKey_workspaceId_name_key" ON "public"."AdminApiKey" ("workspaceId");\n'
        "    END IF;\n"
        "END $$;"
    )
    assert rules(text) == []
    unguarded = text.replace("IF NOT EXISTS (SELECT", "IF EXISTS (SELECT")
    assert ("create-index-if-not-exists", 4) in rules(unguarded)


def test_a_type_guarded_by_if_not_exists_in_a_do_block_is_idempotent() -> None:
    text = (
        "DO $$\nBEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'Kind') THEN\n"
        "        CREATE TYPE \"Kind\" AS ENUM ('a', 'b');\n"
        "    END IF;\nEND $$;"
    )
    assert rules(text) == []


def test_adding_a_value_to_an_enum_made_in_the_same_file() -> None:
    text = 'CREATE TYPE "public"."state" AS ENUM(\'a\');\nALTER TYPE "public"."state" ADD VALUE \'b\';'
    found = {r for r, _ in rules(text)}
    assert not found & {"require-enum-value-ordering", "ban-add-enum-value"}
    existing = 'ALTER TYPE "public"."state" ADD VALUE \'b\';'
    assert {"require-enum-value-ordering", "ban-add-enum-value"} <= {r for r, _ in rules(existing)}


def test_array_subscripts_and_fields_are_not_duplicate_assignments() -> None:
    assert rules('UPDATE "public"."t" SET f[1] = 1, f[2] = 2;') == []
    assert rules('UPDATE "public"."t" SET c.x = 1, c.y = 2;') == []
    # the whole column and a part of it: a duplicate (PostgreSQL: "multiple assignments to same column")
    assert rules('UPDATE "public"."t" SET f = \'{}\', f[2] = 2;') == [
        ("ban-duplicate-column-assignments", 1),
        ("ban-duplicate-column-assignments", 1),
    ]


def test_an_index_on_a_table_made_by_create_table_as_in_the_same_file() -> None:
    for make in ('CREATE TABLE "public"."n" AS SELECT 1 AS a;', 'SELECT 1 AS a INTO "public"."n";'):
        text = make + '\nCREATE INDEX IF NOT EXISTS "n_a" ON "public"."n" ("a");'
        assert "require-concurrent-index-creation" not in {r for r, _ in rules(text)}
    assert ("require-concurrent-index-creation", 1) in rules('CREATE INDEX IF NOT EXISTS "n_a" ON "public"."n" ("a");')


def test_a_syntax_error_without_breakpoints_leaves_the_later_findings() -> None:
    text = (
        'ALTER TABLE "public"."a" DROP COLUMN IF EXISTS "x";\n'
        'SELECT * FROM "t" WHERE;\n'  # the error
        "SELECT 'a;b', $$ c; d $$;\n"  # semicolons in a string and a dollar body are not boundaries
        'ALTER TABLE "public"."c" RENAME TO "d";\n'
    )
    found = rules(text)
    assert ("syntax-error", 2) in found
    assert ("ban-drop-column", 1) in found
    assert ("renaming-table", 4) in found
    assert len([r for r, _ in found if r == "syntax-error"]) == 1


def test_a_lexical_error_still_ends_the_chunk_with_one_finding() -> None:
    found = rules('DROP TABLE "public"."a";\nSELECT \'unterminated;\nDROP TABLE "public"."b";')
    assert [r for r, _ in found if r == "syntax-error"] == ["syntax-error"]


def test_plain_files_and_drizzle_folders_differ_on_a_lone_create_index_concurrently() -> None:
    text = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "i" ON "public"."t" ("a");'
    drizzle = lint_text("m.sql", text)  # a migration of a drizzle folder: one transaction for the batch
    (f,) = [f for f in drizzle if f.rule == "ban-concurrent-index-creation-in-transaction"]
    assert "drizzle-orm's migrator" in f.message and f.column == 14  # at CONCURRENTLY
    plain = lint_text("m.sql", text, settings=Settings().plain())  # squawk's default for a plain file
    assert "ban-concurrent-index-creation-in-transaction" not in {f.rule for f in plain}


def test_findings_point_at_the_clause_of_a_multi_line_alter_table() -> None:
    """squawk points at the action inside a multi-line ALTER TABLE; so does gtsd-tui (line and column)."""
    text = (
        'ALTER TABLE "public"."orders"\n'
        '  ADD COLUMN "n" bigint NOT NULL,\n'
        '  ALTER COLUMN "total" SET DATA TYPE numeric(12, 2),\n'
        '  ADD CONSTRAINT "c" CHECK ("total" > 0);'
    )
    found = {(f.rule, f.line, f.column) for f in lint_text("m.sql", text)}
    assert ("adding-required-field", 2, 3) in found
    assert ("changing-column-type", 3, 24) in found  # at SET DATA TYPE, as squawk (2:23 0-based)
    assert ("constraint-missing-not-valid", 4, 3) in found
