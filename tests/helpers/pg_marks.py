"""pytest plugin (``-p tests.helpers.pg_marks``): list the tests that use the database fixtures without the
``pg`` mark, into the file named by ``GTSD_PG_MARKS_OUT``; those would be missed by ``pytest -m pg``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DB_FIXTURES = {"pg_server", "pg_url"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [
        item.nodeid
        for item in items
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("pg") is None
    ]
    out = os.environ.get("GTSD_PG_MARKS_OUT")
    if out:
        Path(out).write_text("\n".join(missing))
