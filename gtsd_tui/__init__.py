"""gtsd-tui: a terminal console and CLI for Drizzle-style PostgreSQL migrations."""

__version__ = "0.1.0"
