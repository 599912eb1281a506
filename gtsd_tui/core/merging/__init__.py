"""Conflicts after a merge and their repair: findings, forks, git's markers, renumbering, the three-way
snapshot merge and the schema clashes it refuses.
"""
