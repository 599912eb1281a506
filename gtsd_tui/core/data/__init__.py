"""The data preflight: which pending statements can fail on, or destroy, rows already there, and the
read-only queries that tell.
"""
