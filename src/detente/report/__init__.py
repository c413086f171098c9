"""Presentation: records (plain dicts with units and provenance) and terminal tables.

Nothing here computes economics; it reads labelled results from the models.
"""
