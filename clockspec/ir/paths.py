"""Dotted IR paths (`regularizers.weight_decay.strength`): checked against the IR's schema,
and applied to an experiment's plain data.

A family sets values at paths of its base. Three rules, documented in docs/families.md:
- setting a path inside a part the base lacks creates that part, and validation fills in
  its defaults (`regularizers.weight_decay.strength: 0.1` turns weight decay on);
- setting a path to null deletes that key: an optional part (a regularizer) is off, a
  map entry (a clock) is gone, a field with a default returns to its default;
- a null on a path wins over values set below it in the same member.
"""
from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel

from clockspec.core.errors import did_you_mean
from clockspec.ir.spec import Experiment

# Paths a family never sets: member names come from the family, the schema version is fixed.
RESERVED = {"name": "member names come from the family (see name_template)",
            "clockspec": "the schema version is not a parameter"}


def _members(tp: Any) -> list[Any]:
    """The concrete types behind Annotated / Optional / Union."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(_members(arg))
        return out
    return [tp]


def path_problem(path: str) -> tuple[str, str | None] | None:
    """(message, hint) when `path` names nothing in the Experiment IR, else None.

    A path is accepted if some kind could have it (`model.depth` exists for deep_linear);
    whether the base's kind has it is checked when each member is validated.
    """
    parts = path.split(".")
    if parts[0] in RESERVED:
        return f"'{parts[0]}' cannot be varied: {RESERVED[parts[0]]}", None
    types_here: list[Any] = [Experiment]
    for depth, part in enumerate(parts):
        following: list[Any] = []
        known: list[str] = []
        leaf = True
        for tp in types_here:
            for cand in _members(tp):
                if isinstance(cand, type) and issubclass(cand, BaseModel):
                    leaf = False
                    known.extend(cand.model_fields)
                    if part in cand.model_fields:
                        following.append(cand.model_fields[part].annotation)
                elif typing.get_origin(cand) is dict:
                    leaf = False
                    following.append(typing.get_args(cand)[1])
        if not following:
            where = ".".join(parts[:depth]) or "an experiment"
            if leaf:
                return f"'{path}': {where} is a value, it has no part '{part}'", None
            return (f"'{path}': {where} has no field '{part}'",
                    did_you_mean(part, known) or f"known: {', '.join(sorted(set(known)))}")
        types_here = following
    return None


def get(data: Any, parts: tuple[str, ...]) -> Any:
    """The value at a path of plain data, or None where it is absent."""
    node = data
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def assign(data: dict, parts: tuple[str, ...], value: Any) -> dict:
    """A copy of `data` with `parts` set to `value` (None deletes the key).

    Copies only the mappings along the path, so members share the rest of the base.
    Raises ValueError when the path runs through a value that is not a mapping.
    """
    top = dict(data)
    node = top
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            if value is None:
                return top  # deleting below a part that is absent: nothing to do
            child = {}
        elif not isinstance(child, dict):
            raise ValueError(f"{'.'.join(parts[:i + 1])} is {_kind(child)}, not a part with fields")
        child = dict(child)
        node[part] = child
        node = child
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    return top


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"the value {value!r}"
