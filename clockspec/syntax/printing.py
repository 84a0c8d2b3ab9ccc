"""Canonical printers: IR -> text in either syntax, one way per IR.

`dumps(spec, syntax)` is what `clockspec.dumps` exports; each printer takes the comments a
front end found (`RawDoc.comments`) and prints them back with the fields they annotate.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clockspec.core.errors import SpecError
from clockspec.syntax.clk_printer import dump_clk
from clockspec.syntax.yaml_printer import dump_yaml

SYNTAXES = ("yaml", "clk")


def dumps(spec: Any, syntax: str = "yaml", comments: Mapping | None = None, full: bool = False) -> str:
    """The canonical text of an experiment or family in `syntax` ("yaml" or "clk"): short
    (values equal to their defaults left out), or every value spelled out with `full`."""
    if syntax == "yaml":
        return dump_yaml(spec, comments, full)
    if syntax == "clk":
        return dump_clk(spec, comments, full)
    raise SpecError(f"unknown syntax '{syntax}'; expected one of {', '.join(SYNTAXES)}")
