"""The migrations folder and its states: the folder model, journal, snapshots, hashing and its cache,
status against the tracking rows, the apply plan and the refusals made before it runs.
"""
