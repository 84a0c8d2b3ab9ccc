"""Number literals both front ends share: the YAML 1.2 core schema, and what neither reads.

A literal is checked as text before any conversion, so a 5,000-digit integer is refused at
its position instead of reaching `int()` (which refuses over 4,300 digits with a traceback),
and a message never echoes more than a short excerpt of it.
"""
from __future__ import annotations

import re
import string
from typing import Any

from clockspec.core.errors import EXCERPT, excerpt

# No field holds more than 20 digits (seeds go up to 2**64 - 1); 40 leaves room for a float
# written out in full and keeps every echo of a literal short.
MAX_DIGITS = 40

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_NUMBER_LIKE = re.compile(r"[-+]?\.?[0-9]")  # starts as a number does; no name or word does


def is_core_number(text: str) -> bool:
    """Whether the plain scalar `text` is a number under the YAML 1.2 core schema."""
    return any(p.fullmatch(text) for p in (_INT, _OCT, _HEX, _FLOAT, _INF, _NAN))


def resolve_plain(text: str) -> Any:
    """YAML 1.2 core schema for plain (unquoted) scalars; call `literal_problem` first."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


def too_many_digits(text: str) -> str | None:
    """The message for a literal with more digits than any field can use, or None."""
    digits = sum(ch in string.hexdigits for ch in text)  # 0x counts its hex digits too
    if digits <= MAX_DIGITS:
        return None
    return (f"the number {excerpt(text)} has {digits:,} digits; a number in a spec has at most "
            f"{MAX_DIGITS}")


def separator_hint(text: str) -> str | None:
    """`1_000` reads as a number in Python but in neither syntax: say how to write it."""
    if "_" in text and _NUMBER_LIKE.match(text):
        plain = text.replace("_", "")
        if _INT.fullmatch(plain) or _FLOAT.fullmatch(plain):
            shown = plain if len(plain) <= EXCERPT else excerpt(plain)
            return f"write {shown}: a number is written without '_' separators"
    return None


def clk_number_problem(text: str) -> tuple[str, str | None] | None:
    """(message, hint) for a `.clk` word that starts like a number but is not one, or None."""
    if not _NUMBER_LIKE.match(text):
        return None
    too_long = too_many_digits(text)
    if too_long:
        return too_long, None
    if _INT.fullmatch(text) or _FLOAT.fullmatch(text):
        return None
    shown = excerpt(text)
    for pattern, base in ((_HEX, 16), (_OCT, 8)):
        if pattern.fullmatch(text):
            return (f"{shown} is not a .clk number: numbers are decimal",
                    f"write {int(text[2:], base)}")
    return f"{shown} is not a number", separator_hint(text)
