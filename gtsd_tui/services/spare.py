"""Background job started by reset: drop the trash it was handed, prepare the next reset's copy of the template."""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from gtsd_tui.db.admin import admin_url, prepare_spare

    try:
        drop = [str(n) for n in json.loads(os.environ.get("GTSD_SPARE_DROP") or "[]")]
        prepare_spare(
            admin_url(os.environ["GTSD_SPARE_URL"]), os.environ["GTSD_SPARE_DB"], os.environ["GTSD_SPARE_FP"], drop
        )
    except Exception:  # noqa: BLE001 - best effort: without a spare the next reset clones the template
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
