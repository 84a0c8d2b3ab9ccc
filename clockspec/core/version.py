"""clockspec's version, in the lowest layer so that any layer (the runtime records it in every
`status.json`) can read it without importing the whole package. pyproject.toml says the same."""
from __future__ import annotations

__version__ = "0.1.0"
