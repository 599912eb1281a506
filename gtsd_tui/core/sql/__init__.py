"""SQL as PostgreSQL's parser reads it: statements and their positions, objects and footprints, locks a
statement takes, equivalence, reverse statements, schema diffs.
"""
