"""`diff(a, b)`: compare two specs as canonical IR and say what the changes invalidate.

Both sides are compared as canonical IR trees (see `changes`), so reordering, reformatting,
YAML vs `.clk` and spelling out a default are no change.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.diff import render
from clockspec.diff.changes import Change, Spec, canonical, tree_changes
from clockspec.diff.family import FamilyDiff, family_diff
from clockspec.diff.impact import Impact, plan_impact
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax.loading import load

BaseDir = Union[str, "os.PathLike[str]", tuple, None]


@dataclass
class SpecDiff:
    """The changes from `a` to `b`, and what they invalidate."""

    a: Spec
    b: Spec
    changes: list[Change]
    impact: Optional[Impact] = None  # experiments: plan nodes whose hash changed
    family: Optional[FamilyDiff] = None  # families: base, axes, members
    labels: tuple[str, str] = ("a", "b")

    def __bool__(self) -> bool:
        return bool(self.changes) or bool(self.family and self.family.changed)

    def __iter__(self):
        return iter(self.changes)

    def summary(self) -> str:
        return render.summary(self)

    def format(self, fmt: str = "text") -> str:
        return render.render(self, fmt)

    def to_json(self) -> dict[str, Any]:
        return render.to_json(self)


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
        result.impact = plan_impact(a, b, result.changes)
    elif impact:
        result.family = family_diff(a, b, dirs)
    return result


def _spec(x: Any) -> Spec:
    if isinstance(x, (Experiment, Family)):
        return x
    return load(x)


def _base_dirs(a: Any, b: Any, base_dir: BaseDir) -> tuple[Any, Any]:
    if isinstance(base_dir, tuple):
        return base_dir
    if base_dir is not None:
        return base_dir, base_dir
    return _folder_of(a), _folder_of(b)


def _folder_of(x: Any) -> Any:
    if isinstance(x, os.PathLike) or (isinstance(x, str) and "\n" not in x and os.path.isfile(x)):
        return Path(x).parent
    return None
