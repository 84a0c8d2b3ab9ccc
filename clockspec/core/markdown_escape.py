"""Spec text inside generated markdown (review comments, reports), kept inert.

Names are safe by construction, but descriptions, tags and varied string values are free
text from whoever wrote the spec: in a table cell they must not end the cell, the row or a
code span, nor become a link, an image or HTML.
"""
from __future__ import annotations

import re

# Marks that mean something in the middle of a line (a cell never starts one, so list and
# heading markers at a line's start cannot arise); `-`, `.`, `=` stay readable.
_PUNCTUATION = re.compile(r"([\\`*_\[\]()#!|<>~&])")
_TICKS = re.compile(r"`+")


def text(value: str) -> str:
    """Literal text on one line, for a table cell: inline markdown marks backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", _one_line(value))


def code(value: str) -> str:
    """A one-line code span that nothing inside can close (the fence outnumbers any run of
    backticks in it); `|` escaped so that it stays inside a table cell."""
    value = _one_line(value).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _TICKS.findall(value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or fence != "`" else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _one_line(value: str) -> str:
    return " ".join(value.splitlines()) if ("\n" in value or "\r" in value) else value
