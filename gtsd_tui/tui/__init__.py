"""The console (Textual only): workers do the I/O through services, post messages, handlers update widgets."""
