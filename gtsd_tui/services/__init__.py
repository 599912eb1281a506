"""Services shared by the CLI and the TUI: core + db glued together, no UI."""
