"""The pure domain: folder model, hashing, status, conflicts, plans, lint.

Nothing in this package imports textual or psycopg (enforced by tests/test_import_rules.py).
"""
