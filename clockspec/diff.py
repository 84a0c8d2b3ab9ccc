"""Semantic diff of two specs: what changed in the experiment, not in the text.

Both sides are compared as canonical IR trees (`model_dump(mode="json")` less the None
fields that printers omit), so reordering, reformatting, YAML vs `.clk` and spelling out a
default are no change. Changes are reported at the finest level a reviewer reads: a leaf
value, a clock as its expression text, a list as one value (`[256] -> [256, 256]`), and a
part whose `kind` changed, or that was added or removed, as one whole value.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

from .errors import Diagnostic, SpecError
from .ir import Experiment, Family

if TYPE_CHECKING:
    from .family_diff import FamilyDiff
    from .impact import Impact

Op = Literal["added", "removed", "changed"]
Spec = Union[Experiment, Family]
BaseDir = Union[str, "os.PathLike[str]", tuple, None]
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
        from .diff_render import show_path

        return show_path(self.path)

    def inverse(self) -> "Change":
        op = {"added": "removed", "removed": "added"}.get(self.op, self.op)
        return Change(self.path, op, self.new, self.old)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "dotted": self.dotted, "op": self.op,
                "old": self.old, "new": self.new}


@dataclass
class SpecDiff:
    """The changes from `a` to `b`, and what they invalidate."""

    a: Spec
    b: Spec
    changes: list[Change]
    impact: Optional["Impact"] = None  # experiments: plan nodes whose hash changed
    family: Optional["FamilyDiff"] = None  # families: base, axes, members
    labels: tuple[str, str] = ("a", "b")

    def __bool__(self) -> bool:
        return bool(self.changes) or bool(self.family and self.family.changed)

    def __iter__(self):
        return iter(self.changes)

    def summary(self) -> str:
        from .diff_render import summary

        return summary(self)

    def format(self, fmt: str = "text") -> str:
        from .diff_render import render

        return render(self, fmt)

    def to_json(self) -> dict[str, Any]:
        from .diff_render import to_json

        return to_json(self)


def canonical(spec: Spec) -> dict[str, Any]:
    """The canonical tree of a spec: its JSON dump without the None fields printers omit."""
    return spec.model_dump(mode="json", exclude_none=True)


def diff(a: Any, b: Any, *, base_dir: BaseDir = None, impact: bool = True) -> SpecDiff:
    """Compare two experiments or two families (IR objects, paths, or spec text).

    `base_dir` is where a family's `base:` path is read from: one folder for both sides,
    or a pair (folder of a, folder of b); by default the folder of each file given as a
    path, else the current one. `impact=False` skips compiling (changes only).
    """
    dirs = _base_dirs(a, b, base_dir)
    a, b = _spec(a), _spec(b)
    if isinstance(a, Family) != isinstance(b, Family):
        what = ["an experiment", "a family"]
        raise SpecError([Diagnostic(
            f"cannot compare {what[isinstance(a, Family)]} with {what[isinstance(b, Family)]}")])
    result = SpecDiff(a, b, tree_changes(canonical(a), canonical(b)))
    if impact and isinstance(a, Experiment):
        from .impact import plan_impact

        result.impact = plan_impact(a, b, result.changes)
    elif impact:
        from .family_diff import family_diff

        result.family = family_diff(a, b, dirs)
    return result


def _spec(x: Any) -> Spec:
    if isinstance(x, (Experiment, Family)):
        return x
    from .loading import load

    return load(x)


def _base_dirs(a: Any, b: Any, base_dir: BaseDir) -> tuple[Any, Any]:
    if isinstance(base_dir, tuple):
        return base_dir
    if base_dir is not None:
        return base_dir, base_dir
    return _folder_of(a), _folder_of(b)


def _folder_of(x: Any) -> Any:
    from pathlib import Path

    if isinstance(x, os.PathLike) or (isinstance(x, str) and "\n" not in x and os.path.isfile(x)):
        return Path(x).parent
    return None


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
