"""Printing numbers so that they read back exactly and stay readable.

Both printers and clock expressions share this, so `1e-3` looks the same everywhere.
"""
from __future__ import annotations

import math
from decimal import Decimal


def format_float(x: float, integral_as_int: bool = False) -> str:
    """Shortest text that reads back as exactly `x`.

    Exponent style (`1e-3`, `2.5e-4`, `1e6`) where it is shorter than positional style,
    positional otherwise (`0.01`, `0.3`, `1234.5`). Integral values below 1e6 stay
    positional: `100.0`, or `100` with `integral_as_int` (where the reader parses every
    number as a float anyway, as in clock expressions). Non-finite values use YAML's
    spelling (`.inf`, `-.inf`, `.nan`).
    """
    x = float(x)
    if math.isnan(x):
        return ".nan"
    if math.isinf(x):
        return ".inf" if x > 0 else "-.inf"
    if x == int(x) and abs(x) < 1e6:
        text = repr(x)  # '100.0', '-0.0'
        return text[:-2] if integral_as_int else text
    exact = Decimal(repr(x))  # repr is the shortest text that reads back as x
    sign, digits, exponent = exact.normalize().as_tuple()
    mantissa = str(digits[0]) + (("." + "".join(map(str, digits[1:]))) if len(digits) > 1 else "")
    prefix = "-" if sign else ""
    scientific = f"{prefix}{mantissa}e{exponent + len(digits) - 1}"
    positional = format(exact, "f")
    if "." not in positional:
        positional += ".0"
    if integral_as_int and positional.endswith(".0"):
        positional = positional[:-2]
    return scientific if len(scientific) < len(positional) else positional
