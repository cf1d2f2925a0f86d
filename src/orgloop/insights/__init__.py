"""Insights: read models over the other slices (Conway alignment, distributed-monolith signals,
team shape, learning velocity, what-if re-organisation; DORA and flow in ``delivery/``).

Insights reads the catalog, contracts, experiments and traces only through their services and
keeps no copies of their data. See README.md for the vocabulary and formulas.
"""
