"""Drizzle 1.0 folders: the folder per migration, the upgrade of the tracking table, commutativity."""
