"""The raw tree that both front ends produce, with a source map for every node.

Paths are tuples of keys and list indices, e.g. ("model", "hidden", 0). Positions are
1-based (line, col) of the first character of a value's content (after any quote), and of
each mapping key, so every diagnostic can point at the exact place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PathT = tuple  # tuple[str | int, ...]
Pos = tuple[int, int]


@dataclass
class RawDoc:
    data: Any
    file: str = "<string>"
    syntax: str = "yaml"  # or "clk"
    positions: dict[PathT, Pos] = field(default_factory=dict)
    key_positions: dict[PathT, Pos] = field(default_factory=dict)
    # Comment lines written just before (or at the end of the line of) the entry at a path;
    # the formatter prints them back with that entry.
    comments: dict[PathT, list[str]] = field(default_factory=dict)

    def pos(self, path: PathT, key: bool = False) -> Pos:
        """Best position for a path: itself, else its nearest ancestor that has one."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.key_positions:
                return self.key_positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))
