"""Placeholder."""
RULES = ()
SLUGS = set()
