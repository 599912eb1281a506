"""Database access: psycopg only (no textual)."""
