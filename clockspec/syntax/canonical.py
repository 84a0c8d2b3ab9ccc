"""The IR as plain data in the order both printers print it, in full or short.

The short form (what `fmt` writes) leaves out every value equal to its default, so a spec
says only what it chose; the full form (what `spec.lock.yaml` records) spells every value
out. Both read back to the same IR, since validation fills the defaults in again.
"""
from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

# Always printed: the language version and a kind say what a file is, default or not.
ALWAYS_PRINTED = frozenset({"clockspec", "kind"})


def canonical_data(spec: Any, full: bool = True) -> dict:
    """The IR as plain data in canonical order: IR field order, `kind` first in every
    kinded mapping, None left out, clocks as their expression text; without `full`,
    values equal to their defaults left out too."""
    data = spec.model_dump(mode="python", exclude_none=True)
    return _kind_first(data if full else _without_defaults(spec, data))


def _without_defaults(value: Any, data: Any) -> Any:
    """`data` (the dump of `value`) less the fields of every model that hold their default."""
    if isinstance(value, BaseModel) and isinstance(data, dict):
        fields = type(value).model_fields
        return {key: _without_defaults(getattr(value, key), item) for key, item in data.items()
                if key in ALWAYS_PRINTED or fields[key].is_required()
                or not same_value(getattr(value, key), fields[key].get_default(call_default_factory=True))}
    if isinstance(value, dict) and isinstance(data, dict):
        return {key: _without_defaults(value[key], item) for key, item in data.items()}
    if isinstance(value, (list, tuple)) and isinstance(data, list):
        return [_without_defaults(v, item) for v, item in zip(value, data)]
    return data


def same_value(a: Any, b: Any) -> bool:
    """Equal and alike, so that leaving `a` out reads back as `a` itself: `==` alone takes
    `False` for `0`, `1` for `1.0` and `-0.0` for `0.0`, which hash differently."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):
        return all(same_value(getattr(a, f), getattr(b, f)) for f in type(a).model_fields)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


def _kind_first(value: Any) -> Any:
    if isinstance(value, dict):
        items = {k: _kind_first(v) for k, v in value.items()}
        if "kind" in items:
            items = {"kind": items.pop("kind"), **items}
        return items
    if isinstance(value, (list, tuple)):
        return [_kind_first(v) for v in value]
    return value
