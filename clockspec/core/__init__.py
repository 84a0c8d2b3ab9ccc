"""The lowest layer: errors, atomic files, number spelling, text escaping, the kind registry.

Imports nothing else of clockspec, so every other layer may use it.
"""
