"""A SpecDiff as text (terminal), markdown (a review comment) or JSON (tools).

Values print in compact YAML flow style (`{strength: 1e-3, q: auto}`, `[256, 256]`), numbers
the way the printers write them, clocks as their expression text.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from clockspec.core.markdown_escape import code as _code
from clockspec.diff.values import show
from clockspec.ir import plugins

if TYPE_CHECKING:
    from clockspec.diff.changes import Change
    from clockspec.diff.family import FamilyDiff
    from clockspec.diff.impact import Impact, NodeChange
    from clockspec.diff.spec_diff import SpecDiff

FORMATS = ("text", "json", "md")
GROUPS = (
    ("retrain", "needs retraining"),
    ("reevaluate", "re-evaluate from recorded metrics"),
    ("cosmetic", "cosmetic (name, description, tags)"),
)
RENAMED_NOTE = " (same experiment, new run directory name)"


# ---- summary --------------------------------------------------------------------------

def summary(d: SpecDiff) -> str:
    """One line: how many changes, and what they cost."""
    if not d:
        return "no changes"
    n = len(d.changes)
    parts = [f"{n} change{'s' if n != 1 else ''}" if n else "the family file is unchanged"]
    if d.impact is not None:
        parts += impact_phrases(d.impact, d.changes)
    if d.family is not None:
        parts += family_phrases(d.family)
    return "; ".join(parts)


def impact_phrases(impact: Impact, changes: list[Change]) -> list[str]:
    out: list[str] = []
    downstream = sum(not n.direct for n in impact.nodes)
    for attr, verb in (("retrain", "retrains"), ("reevaluate", "re-evaluate")):
        direct = [_node(n) for n in getattr(impact, attr) if n.direct]
        if direct:
            out.append(f"{verb}: {', '.join(direct)}" + (f" (+{downstream} downstream)" if downstream else ""))
            downstream = 0
    cosmetic = [c.dotted for c in changes if c.path[:1] in (("name",), ("description",), ("tags",))]
    if impact.cosmetic or (cosmetic and not impact.nodes):
        out.append("cosmetic: " + ", ".join(cosmetic or ["report"]))
    if impact.no_effect:
        out.append("no effect on results: " + ", ".join(impact.no_effect))
    return out


def family_phrases(f: FamilyDiff) -> list[str]:
    out = []
    if f.base_changes and f.base_impact is not None:
        what = impact_phrases(f.base_impact, f.base_changes)
        out.append("base " + (what[0] if what else "changed"))
    if f.axes:
        ops = {op: sum(a.op == op for a in f.axes) for op in ("changed", "added", "removed")}
        out.append("axes: " + ", ".join(f"{n} {op}" for op, n in ops.items() if n))
    counts = [f"{len(f.members_added)} added", f"{len(f.members_removed)} removed"]
    counts += [f"{len(v)} {k}" for k, v in f.kept_by_verdict().items() if v]
    out.append("members: " + ", ".join(counts))
    return out


def _node(n: NodeChange) -> str:
    return n.label + ("" if n.how == "changed" else f" ({n.how})")


# ---- text -----------------------------------------------------------------------------

def render(d: SpecDiff, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(to_json(d), indent=2) + "\n"
    if fmt == "md":
        return markdown(d)
    if fmt == "text":
        return text(d)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def change_line(c: Change) -> str:
    path = c.dotted
    if c.op == "added":
        return f"+ {path}: {show(c.new)}"
    if c.op == "removed":
        return f"- {path}: {show(c.old)}"
    return f"~ {path}: {show(c.old)} -> {show(c.new)}"


def text(d: SpecDiff) -> str:
    a, b = d.labels
    lines = [f"--- {a}", f"+++ {b}"]
    lines += [change_line(c) for c in d.changes]
    if plugins_used(d) and d.changes:
        lines.append(f"plugins: {'; '.join(plugins_used(d))}")
    if d.impact is not None and d.changes:
        lines += ["", "impact:"] + ["  " + line for line in impact_lines(d.impact)]
    if d.family is not None:
        lines += [""] + family_lines(d.family)
    lines += ["", summary(d)]
    return "\n".join(lines) + "\n"


def plugins_used(d: SpecDiff) -> list[str]:
    """`model res_mlp from clockspec-resmlp==0.1.0` for each plugin kind either side uses."""
    return list(dict.fromkeys([*plugins.used_by(d.a), *plugins.used_by(d.b)]))


def impact_lines(impact: Impact) -> list[str]:
    if not impact.nodes:
        why = f" ({', '.join(impact.no_effect)} changes no plan node)" if impact.no_effect else ""
        return [f"nothing to rerun{why}"]
    lines = [f"{title}: {node_list(nodes)}" for title, nodes, _ in impact_groups(impact)]
    return lines + [_train_hash(impact, str)]


def impact_groups(impact: Impact) -> list[tuple[str, list[NodeChange], bool]]:
    """(title, nodes, direct) for each group of nodes the change touches itself, then the
    nodes downstream of them; empty groups left out."""
    groups = [(title, [n for n in getattr(impact, attr) if n.direct], True) for attr, title in GROUPS]
    groups.append(("downstream (inputs changed)", [n for n in impact.nodes if not n.direct], False))
    return [g for g in groups if g[1]]


def node_list(nodes: list[NodeChange], code: Any = str) -> str:
    """`init, train, probes (train_loss, margin), clocks (fit), report`."""
    groups: dict[str, list[str]] = {}
    for n in nodes:
        tag = "" if n.how == "changed" else f" ({n.how})"
        groups.setdefault(n.id.stage, []).append(code(n.id.name or n.id) + tag)
    out = []
    for stage, names in groups.items():
        if stage in ("probe", "clock"):
            out.append(f"{stage}{'s' if len(names) > 1 else ''} " + (", ".join(names) if len(names) == 1
                                                                    else f"({', '.join(names)})"))
        else:
            out.extend(names)
    return ", ".join(out)


def _train_hash(impact: Impact, code: Any) -> str:
    """Whether a recorded run can be reused: same train hash, and where it lives."""
    (old, new), (was, now) = impact.train_hash, impact.run_dirs
    if old != new:
        return f"train hash {code(old[:12])} -> {code(new[:12])}: a new run ({code('runs/' + now)}); earlier runs are not reused"
    if was != now:
        return (f"train hash {code(old[:12])} unchanged, but the run directory is renamed: "
                f"{code('runs/' + was)} -> {code('runs/' + now)} (the new name shows the stored run: no retraining)")
    return f"train hash {code(old[:12])} unchanged: a recorded run in {code('runs/' + was)} stays valid"


def family_lines(f: FamilyDiff) -> list[str]:
    lines = ["family:"]
    if f.base_changes and not f.base_listed:
        lines.append(f"  base ({f.base_label}):")
        lines += ["    " + change_line(c) for c in f.base_changes]
    if f.base_changes and f.base_impact is not None:
        lines.append("  base impact:")
        lines += ["    " + line for line in impact_lines(f.base_impact)]
    for axis in f.axes:
        lines.append("  axis " + change_line(axis))
    lines.append(f"  members: {len(f.members_added)} added, {len(f.members_removed)} removed, "
                 f"{len(f.members_kept)} kept")
    for name in f.members_added:
        lines.append(f"    + {name}")
    for name in f.members_removed:
        lines.append(f"    - {name}")
    for verdict, names in f.kept_by_verdict().items():
        if names:
            lines.append(f"    = {verdict}{RENAMED_NOTE if verdict == 'renamed' else ''}: "
                         + ", ".join(f.shown(n) for n in names))
    return lines


# ---- markdown -------------------------------------------------------------------------

def markdown(d: SpecDiff) -> str:
    a, b = d.labels
    lines = [f"### clockspec diff: {_code(a)} → {_code(b)}", "", f"**{summary(d)}**", ""]
    if not d:
        lines += ["Both describe the same experiment: layout, key order, syntax and spelled-out "
                  "defaults are not changes.", ""]
    if d.changes:
        lines += changes_md(d.changes)
        lines += [f"Plugins: {_code('; '.join(plugins_used(d)))}", ""] if plugins_used(d) else []
    if d.impact is not None and d.changes:
        lines += impact_md(d.impact)
    if d.family is not None:
        lines += family_md(d.family)
    return "\n".join(lines).rstrip("\n") + "\n"


def changes_md(changes: list[Change]) -> list[str]:
    """The changed paths as a table: op, path, value before, value after."""
    lines = ["| | path | before | after |", "| --- | --- | --- | --- |"]
    for c in changes:
        old = _code(show(c.old)) if c.op != "added" else ""
        new = _code(show(c.new)) if c.op != "removed" else ""
        lines.append(f"| {c.op} | {_code(c.dotted)} | {old} | {new} |")
    return lines + [""]


def impact_md(impact: Impact, title: str = "What must rerun") -> list[str]:
    lines = [f"#### {title}", ""]
    if not impact.nodes:
        why = f": {', '.join(_code(p) for p in impact.no_effect)} changes no plan node" if impact.no_effect else ""
        return lines + [f"Nothing{why}.", ""]
    for heading, nodes, direct in impact_groups(impact):
        heading = heading[0].upper() + heading[1:]
        lines.append(f"- {f'**{heading}**' if direct else heading}: {node_list(nodes, _code)}")
    hash_line = _train_hash(impact, _code).replace(" -> ", " → ")
    return lines + ["", hash_line[0].upper() + hash_line[1:] + ".", ""]


def family_md(f: FamilyDiff) -> list[str]:
    lines = ["#### Family", ""]
    if f.base_changes and not f.base_listed:
        lines += [f"Base {_code(f.base_label)} changed:", ""] + changes_md(f.base_changes)
    if f.base_changes and f.base_impact is not None:
        lines += impact_md(f.base_impact, "What the base change reruns")
    if f.axes:
        lines += ["Axes: " + "; ".join(f"{a.op} {_code(a.dotted)}" for a in f.axes), ""]
    lines += ["| members | count | names |", "| --- | --- | --- |"]
    rows = [("added", f.members_added), ("removed", f.members_removed)]
    rows += [(f"kept, {k}" + (RENAMED_NOTE if k == "renamed" else ""), [f.shown(n) for n in v])
             for k, v in f.kept_by_verdict().items() if v]
    for title, names in rows:
        lines.append(f"| {title} | {len(names)} | {_names(names)} |")
    return lines + [""]


def _names(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(_code(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ---- json -----------------------------------------------------------------------------

def to_json(d: SpecDiff) -> dict[str, Any]:
    out: dict[str, Any] = {
        "a": d.labels[0],
        "b": d.labels[1],
        "kind": "family" if d.family is not None or hasattr(d.a, "family") else "experiment",
        "changed": bool(d),
        "summary": summary(d),
        "changes": [c.to_json() for c in d.changes],
    }
    if plugins_used(d):
        out["plugins"] = plugins_used(d)
    if d.impact is not None:
        out["impact"] = d.impact.to_json()
    if d.family is not None:
        out["family"] = d.family.to_json()
    return out
