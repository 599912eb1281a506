"""The Environments view lives with its feature (``tui/features/environments.py``); its names here too."""

from gtsd_tui.tui.features.environments import EnvironmentsScreen, view

__all__ = ["EnvironmentsScreen", "view"]
