"""Semantic diff of two specs: what changed in the experiment, not in the text.

Both sides are compared as canonical IR trees (`model_dump(mode="json")` less the None
fields that printers omit), so reordering, reformatting, YAML vs `.clk` and spelling out a
default are no change. Changes are reported at the finest level a reviewer reads: a leaf
value, a clock as its expression text, a list as one value (`[256] -> [256, 256]`), and a
part whose `kind` changed, or that was added or removed, as one whole value.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal, Union

from clockspec.core.errors import SpecError
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax.source import dotted

Op = Literal["added", "removed", "changed"]
Spec = Union[Experiment, Family]
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    """One changed path: `old` is None when added, `new` is None when removed."""

    path: tuple
    op: Op
    old: Any = None
    new: Any = None

    @property
    def dotted(self) -> str:
        """`model.hidden`, `clocks.fit`, `vary.grid[regularizers.weight_decay.strength]`."""
        return dotted(self.path, whole="(the whole spec)", bracket_dotted_keys=True)

    def inverse(self) -> Change:
        op = {"added": "removed", "removed": "added"}.get(self.op, self.op)
        return Change(self.path, op, self.new, self.old)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "dotted": self.dotted, "op": self.op,
                "old": self.old, "new": self.new}


def canonical(spec: Spec) -> dict[str, Any]:
    """The canonical tree of a spec: its JSON dump without the None fields printers omit."""
    return spec.model_dump(mode="json", exclude_none=True)


def tree_changes(old: Any, new: Any, path: tuple = ()) -> list[Change]:
    """The changes between two canonical trees, old-side key order first."""
    if old == new:
        return []
    if not (isinstance(old, dict) and isinstance(new, dict)) or old.get("kind") != new.get("kind"):
        return [Change(path, "changed", old, new)]
    out: list[Change] = []
    for key in list(old) + [k for k in new if k not in old]:
        here = path + (key,)
        if key not in new:
            out.append(Change(here, "removed", old[key], None))
        elif key not in old:
            out.append(Change(here, "added", None, new[key]))
        else:
            out.extend(tree_changes(old[key], new[key], here))
    return out


def apply(a: Spec, changes: Any) -> Spec:
    """Apply a diff (a SpecDiff or a list of Change) to `a`, like a patch.

    Each change must find its `old` value where it points (else SpecError); the result is
    validated as the same kind of spec as `a`.
    """
    tree = copy.deepcopy(canonical(a))
    for change in changes:
        tree = _apply_one(tree, change)
    try:
        return type(a).model_validate(tree)
    except ValueError as exc:
        raise SpecError(f"the patched spec is not valid: {exc}") from None


def _apply_one(tree: Any, change: Change) -> Any:
    if not change.path:
        _expect(tree, change.old, change)
        return copy.deepcopy(change.new)
    parent = tree
    for key in change.path[:-1]:
        if not isinstance(parent, dict) or key not in parent:
            raise SpecError(f"cannot apply change to {change.dotted}: {key!r} is not in the spec")
        parent = parent[key]
    key = change.path[-1]
    if not isinstance(parent, dict):
        raise SpecError(f"cannot apply change to {change.dotted}: its parent is not a mapping")
    current = parent.get(key, _ABSENT)
    if change.op == "added":
        if current is not _ABSENT:
            raise SpecError(f"cannot add {change.dotted}: it is already there")
        parent[key] = copy.deepcopy(change.new)
    elif change.op == "removed":
        _expect(current, change.old, change)
        del parent[key]
    else:
        _expect(current, change.old, change)
        parent[key] = copy.deepcopy(change.new)
    return tree


def _expect(current: Any, old: Any, change: Change) -> None:
    if current is _ABSENT:
        raise SpecError(f"cannot apply change to {change.dotted}: it is not in the spec")
    if current != old:
        raise SpecError(f"cannot apply change to {change.dotted}: expected {old!r}, found {current!r}")
