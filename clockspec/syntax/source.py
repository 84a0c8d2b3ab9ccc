"""The raw tree that both front ends produce, with a source map for every node.

Paths are tuples of keys and list indices, e.g. ("model", "hidden", 0). Positions are
1-based (line, col) of the first character of a value's content (after any quote), and of
each mapping key, so every diagnostic can point at the exact place.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from clockspec.core.errors import Diagnostic

PathT = tuple  # tuple[str | int, ...]
Pos = tuple[int, int]

# The longest mapping key a front end accepts. YAML cannot read an implicit key over 1024
# characters, and a key printed quoted with escapes grows up to 10x: 100 keeps every spec
# printable in both syntaxes.
MAX_KEY = 100

# Sentinels in `RawDoc.comments` (no IR key starts with '#', so none can clash with a field):
START_OF_FILE: PathT = ("#start",)  # comments at the top, set apart from the first entry by a blank line
END_OF_FILE: PathT = ("#end",)  # comments after the last entry
TRAILING = "#eol"  # (*path, TRAILING): the comment at the end of the entry's own line


def dotted(path: PathT, whole: str = "spec", bracket_dotted_keys: bool = False) -> str:
    """A path as people write it: `model.hidden[0]`, `clocks.fit`; `whole` for the empty path.

    With `bracket_dotted_keys`, a key that holds dots itself (a varied path under
    `vary.grid`) is bracketed too, so the text names one path: the diff's
    `vary.grid[regularizers.weight_decay.strength]`.
    """
    out = ""
    for part in path:
        if isinstance(part, int) or (bracket_dotted_keys and "." in str(part)):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or whole


@dataclass
class RawDoc:
    data: Any
    file: str = "<string>"
    syntax: str = "yaml"  # or "clk"
    positions: dict[PathT, Pos] = field(default_factory=dict)
    key_positions: dict[PathT, Pos] = field(default_factory=dict)
    # Comment lines written just before the entry at a path, each the text after its comment
    # marker, verbatim ("# note" -> " note"), so any syntax's printer can write it back; the
    # comment at the end of an entry's line is under (*path, TRAILING); see the sentinels
    # above. The formatter prints them back with the entries they annotate.
    comments: dict[PathT, list[str]] = field(default_factory=dict)
    # Errors a front end could step over (a duplicate key, a merge key): `validate` reports
    # them together with the spec's own errors, so one pass shows every error of a file.
    problems: list[Diagnostic] = field(default_factory=list)
    # Values whose text spans lines in the source (a folded YAML scalar): an offset into
    # such a value is no column on its first line, so diagnostics point at its start.
    multiline: set[PathT] = field(default_factory=set)

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


_BREAK = re.compile(r"\r\n|\r|\n")


class Lines:
    """Offsets into a text -> (line, col) as editors count them: a line ends at `\n`, `\r\n`
    or `\r`, and at nothing else (not at U+2028, U+2029 or U+0085, which PyYAML counts)."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    def line_col(self, offset: int) -> Pos:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


def split_lines(text: str) -> list[str]:
    """The text's lines as editors see them (`str.splitlines` also splits at U+2028 and more)."""
    return _BREAK.split(text)


def decode_spec(text: str | bytes, file: str, max_bytes: int, syntax: str) -> str:
    """Bytes or text -> text, refusing oversized input and invalid UTF-8 with a position."""
    from clockspec.core.errors import Diagnostic, SpecError

    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise SpecError([Diagnostic(f"file is {len(text):,} bytes; a {syntax} spec may be at most {max_bytes:,}",
                                        file)])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = text[: exc.start].decode("utf-8")  # columns count characters, as every column does
            raise SpecError([Diagnostic("file is not valid UTF-8", file, *Lines(before).line_col(len(before)))]) from None
    if len(text) > max_bytes:
        raise SpecError([Diagnostic(f"file is {len(text):,} characters; a {syntax} spec may be at most "
                                    f"{max_bytes:,}", file)])
    return text
