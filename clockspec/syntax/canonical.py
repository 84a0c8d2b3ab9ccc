"""The IR as plain data in the order both printers print it."""
from __future__ import annotations

from typing import Any


def canonical_data(spec: Any) -> dict:
    """The IR as plain data in canonical order: IR field order, `kind` first in every
    kinded mapping, None left out, clocks as their expression text."""
    return _kind_first(spec.model_dump(mode="python", exclude_none=True))


def _kind_first(value: Any) -> Any:
    if isinstance(value, dict):
        items = {k: _kind_first(v) for k, v in value.items()}
        if "kind" in items:
            items = {"kind": items.pop("kind"), **items}
        return items
    if isinstance(value, (list, tuple)):
        return [_kind_first(v) for v in value]
    return value
