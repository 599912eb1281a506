"""Environments and fleets: targets files, libpq targets, staged rollouts."""
