"""What the database really is against the snapshots: normalised catalogs, differences, and the
statements drizzle-kit would write to repair them.
"""
