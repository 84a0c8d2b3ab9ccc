"""Families: a base experiment and its variations (expand, ablate, run, aggregate)."""
