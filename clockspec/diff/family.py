"""The family part of a diff: the base experiment, the varied axes, and the members.

Bases are compared as resolved experiments (a `base:` path is read), so an edit to the base
file shows even when the family file is unchanged. Members are matched by name (their run
directory's name) and by content: a member whose experiment is the same under a new name
(an axis added at its base value renames every member) is kept as "renamed"; one that keeps
its name with other content is judged by its own plan impact.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from clockspec.diff.changes import Change, canonical, tree_changes
from clockspec.diff.impact import Impact, plan_impact
from clockspec.families.expand import expand_family
from clockspec.ir.spec import Experiment, Family

VERDICTS = ("retrain", "re-evaluate", "cosmetic", "no effect", "renamed", "unchanged")
COMBINATORS = ("one_at_a_time", "zip", "grid")


@dataclass
class FamilyDiff:
    base_changes: list[Change]
    base_impact: Impact | None
    base_listed: bool  # both bases inline: their changes are already in the spec changes
    base_label: str
    axes: list[Change]  # path (combinator, varied path); random draws as ("random", path)
    members_added: list[str] = field(default_factory=list)
    members_removed: list[str] = field(default_factory=list)
    members_kept: dict[str, str] = field(default_factory=dict)  # name -> verdict
    members_renamed: dict[str, str] = field(default_factory=dict)  # new name -> old name

    @property
    def changed(self) -> bool:
        return bool(self.base_changes or self.axes or self.members_added or self.members_removed
                    or any(v != "unchanged" for v in self.members_kept.values()))

    def shown(self, name: str) -> str:
        """A kept member as `old -> new` when it was renamed."""
        was = self.members_renamed.get(name)
        return f"{was} -> {name}" if was else name

    def kept_by_verdict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {v: [] for v in VERDICTS}
        for name, verdict in self.members_kept.items():
            out[verdict].append(name)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "base": {"label": self.base_label, "changes": [c.to_json() for c in self.base_changes],
                     "impact": self.base_impact.to_json() if self.base_impact else None},
            "axes": [c.to_json() for c in self.axes],
            "members": {"added": self.members_added, "removed": self.members_removed,
                        "kept": self.members_kept, "renamed": self.members_renamed},
        }


def family_diff(a: Family, b: Family, base_dirs: tuple[Any, Any]) -> FamilyDiff:
    old, new = expand_family(a, base_dirs[0]), expand_family(b, base_dirs[1])
    base_changes = tree_changes(canonical(old.base), canonical(new.base))
    result = FamilyDiff(
        base_changes=base_changes,
        base_impact=plan_impact(old.base, new.base, base_changes) if base_changes else None,
        base_listed=isinstance(a.base, Experiment) and isinstance(b.base, Experiment),
        base_label=_label(a.base, b.base),
        axes=axis_changes(axes_of(a), axes_of(b)),
    )
    match_members(result, old.members, new.members)
    return result


def match_members(result: FamilyDiff, old: list, new: list) -> None:
    """Same experiment (whatever its name) first, then same name; the rest added/removed."""
    by_content = {_content(m.spec): m.name for m in old}
    left = {m.name: m.spec for m in old}
    by_name = []
    for m in new:
        was = by_content.get(_content(m.spec))
        if was is not None and was in left:
            del left[was]
            result.members_kept[m.name] = "unchanged" if was == m.name else "renamed"
            if was != m.name:
                result.members_renamed[m.name] = was
        else:
            by_name.append(m)
    for m in by_name:
        if m.name in left:
            result.members_kept[m.name] = _verdict(left.pop(m.name), m.spec)
        else:
            result.members_added.append(m.name)
    result.members_removed = list(left)


def _content(spec: Experiment) -> str:
    return json.dumps({k: v for k, v in canonical(spec).items() if k != "name"}, sort_keys=True)


def axes_of(family: Family) -> dict[tuple, Any]:
    """Every varied axis, keyed (combinator, dotted path), with its values or distribution."""
    vary = family.vary.model_dump(mode="json", exclude_none=True)
    out: dict[tuple, Any] = {}
    for comb in COMBINATORS:
        for path, values in (vary.get(comb) or {}).items():
            out[(comb, path)] = values
    for path, dist in ((vary.get("random") or {}).get("params") or {}).items():
        out[("random", path)] = dist
    return out


def axis_changes(old: dict[tuple, Any], new: dict[tuple, Any]) -> list[Change]:
    """One change per axis added, removed, or given other values (a whole value each)."""

    out = [Change(k, "removed", v, None) for k, v in old.items() if k not in new]
    out += [Change(k, "changed", v, new[k]) for k, v in old.items() if k in new and new[k] != v]
    return out + [Change(k, "added", None, v) for k, v in new.items() if k not in old]


def _verdict(old: Experiment, new: Experiment) -> str:
    changes = tree_changes(canonical(old), canonical(new))
    if not changes:
        return "unchanged"
    verdict = plan_impact(old, new, changes).verdict
    return "no effect" if verdict == "none" else verdict


def _label(a: Any, b: Any) -> str:
    def one(base: Any) -> str:
        return "inline" if isinstance(base, Experiment) else str(base)

    return one(a) if one(a) == one(b) else f"{one(a)} -> {one(b)}"
