"""``check`` findings as GitHub workflow annotations or SARIF 2.1.0 (as ``lint --format`` has).

Paths are given relative to the directory the command runs in (a CI job's checkout), so the
annotation lands on the migration that forks from, or clashes with, the target branch."""

from __future__ import annotations

import json
from typing import Any

from gtsd_tui.core.merging.conflicts import ERROR, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "gtsd-tui check"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _message(f: Finding) -> str:
    return f"{f.message} (fix: {f.fix})" if f.fix else f.message


def github(findings: list[Finding], prefix: str) -> str:
    """``::error file=...,title=code::message`` per finding (``prefix``: the folder as the job sees it)."""
    out = []
    for f in findings:
        level = "error" if f.severity == ERROR else "warning"
        where = f"file={_prop(prefix + f.files[0])}," if f.files else ""
        out.append(f"::{level} {where}title={_prop(f.code)}::{_data(_message(f))}")
    return "\n".join(out)


def sarif(findings: list[Finding], prefix: str, version: str) -> str:
    used = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(used)}
    rules = [{"id": code, "shortDescription": {"text": f"gtsd-tui check: {code}"}} for code in used]
    results: list[dict[str, Any]] = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": "error" if f.severity == ERROR else "warning",
            "message": {"text": _message(f)},
        }
        if f.files:
            result["locations"] = [
                {"physicalLocation": {"artifactLocation": {"uri": (prefix + name).replace("\\", "/")}}}
                for name in f.files
            ]
        results.append(result)
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": TOOL, "version": version, "rules": rules}}, "results": results}],
    }
    return json.dumps(doc, indent=2)
