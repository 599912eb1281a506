"""The Drift view lives with its feature (``tui/features/drift.py``); its names here too."""

from gtsd_tui.tui.features.drift import DRIFT_MARK, DriftScreen, action_drift, check_mark, report_lines

__all__ = ["DRIFT_MARK", "DriftScreen", "action_drift", "check_mark", "report_lines"]
