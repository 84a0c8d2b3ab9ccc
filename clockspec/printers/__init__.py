"""Canonical printers: IR -> text in either syntax, one way per IR.

`dumps(spec, syntax)` is what `clockspec.dumps` exports; each printer takes the comments a
front end found (`RawDoc.comments`) and prints them back with the fields they annotate.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import SpecError

SYNTAXES = ("yaml", "clk")


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


def dumps(spec: Any, syntax: str = "yaml", comments: Mapping | None = None) -> str:
    """The canonical text of an experiment or family in `syntax` ("yaml" or "clk")."""
    if syntax == "yaml":
        from .yaml_printer import dump_yaml

        return dump_yaml(spec, comments)
    if syntax == "clk":
        from .clk_printer import dump_clk

        return dump_clk(spec, comments)
    raise SpecError(f"unknown syntax '{syntax}'; expected one of {', '.join(SYNTAXES)}")
