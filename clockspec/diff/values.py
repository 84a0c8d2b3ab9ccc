"""How diffs show values: compact YAML flow style on one line, numbers as the
printers write them."""
from __future__ import annotations

import json
import re
from typing import Any

from clockspec.core.numbers import format_float

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:/-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~"}


def show(value: Any) -> str:
    """One value on one line, in YAML flow style."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        plain = _PLAIN.match(value) and value.lower() not in _RESERVED
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{show_key(k)}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return json.dumps(value, default=str)


def show_key(key: Any) -> str:
    return str(key) if _PLAIN.match(str(key)) else json.dumps(str(key))

