"""Findings as text, JSON, GitHub annotations or SARIF 2.1.0; and ``--explain``."""

from __future__ import annotations

import sys

from gtsd_tui.core.display import json_safe, shown
from gtsd_tui.core.lint.engine import LintFinding
from gtsd_tui.core.lint.rules import ERROR, RULES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def text(findings: list[LintFinding]) -> str:
    errors = sum(1 for f in findings if f.severity == ERROR)
    out = [
        f"{shown(f.file)}:{f.line}:{f.column}: {f.severity} {f.rule}: {shown(f.message)}\n    safe: {f.safe}"
        for f in findings
    ]
    out.append(f"{len(findings)} finding(s), {errors} error(s)")
    return "\n".join(out)


def as_json(findings: list[LintFinding], head: dict[str, object] | None = None) -> str:
    """``head``: the fields the object starts with (the CLI's envelope)."""
    errors = sum(1 for f in findings if f.severity == ERROR)
    doc = {**(head or {}), "findings": [f.to_json() for f in findings], "errors": errors}
    import json  # (the json and sarif formats only: the text format's run imports no json package)

    msgspec = sys.modules.get("msgspec")
    if msgspec is not None:  # a large run loaded it (node.read): the same bytes, several times faster
        try:
            return json_safe(msgspec.json.encode(doc).decode())
        except UnicodeEncodeError:  # a lone surrogate (an undecodable file name): json.dumps writes it
            pass
    return json_safe(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def github(findings: list[LintFinding]) -> str:
    return "\n".join(
        f"::{f.severity} file={shown(f.file)},line={f.line},col={f.column},title={f.rule}"
        f"::{shown(f.message)} (safe: {f.safe})"
        for f in findings
    )


def sarif(findings: list[LintFinding], version: str) -> str:
    used = sorted({f.rule for f in findings})
    index = {rid: i for i, rid in enumerate(used)}
    rules: list[dict[str, Any]] = []
    for rid in used:
        r = RULES[rid]
        rule: dict[str, Any] = {
            "id": rid,
            "shortDescription": {"text": r.fires_on},
            "help": {"text": f"Safe alternative: {r.safe}"},
            "defaultConfiguration": {"level": r.severity},
        }
        if r.help_uri:
            rule["helpUri"] = r.help_uri
        rules.append(rule)
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": f.severity,
            "message": {"text": f"{f.message} (safe: {f.safe})"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        for f in findings
    ]
    import json

    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "gtsd-tui lint", "version": version, "rules": rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2)


def explain(rule_id: str | None) -> str:
    """One rule in full, or the table of all rules."""
    if rule_id:
        r = RULES[rule_id]
        lines = [
            f"{r.id} ({r.severity}, {'on by default' if r.default else 'opt-in: --include ' + r.id})",
            f"  fires on: {r.fires_on}",
            f"  safe:     {r.safe}",
        ]
        if r.help_uri:
            lines.append(f"  squawk:   {r.help_uri}")
        return "\n".join(lines)
    width = max(len(r) for r in RULES)
    return "\n".join(
        f"{r.id:<{width}}  {r.severity:<7}  {'on ' if r.default else 'opt'}  {r.fires_on}" for r in RULES.values()
    )
