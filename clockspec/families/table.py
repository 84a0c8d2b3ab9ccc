"""Plain-text views of an expansion: the summary line, what varies, the member table."""
from __future__ import annotations

from typing import Any

from clockspec.families.expand import Expansion, Member
from clockspec.ir import paths
from clockspec.syntax import naming


def member_values(member: Member, varied: list[str]) -> dict[str, Any]:
    """The member's effective value at each varied path (the base value where it sets none)."""
    data = member.spec.model_dump(mode="json")
    out = {}
    for path in varied:
        parts = tuple(path.split("."))
        if parts[0] == "clocks" and len(parts) > 2:
            clock = member.spec.clocks.get(parts[1])
            out[path] = None if clock is None else paths.get(clock.model_dump(mode="json"), parts[2:])
        else:
            out[path] = paths.get(data, parts)
    return out


def part_or_value(value: Any) -> Any:
    """A varied value as tables show it: a part that is present (a regularizer, a mapping
    without a `kind`) is `on`; anything else is itself."""
    return "on" if isinstance(value, dict) and "kind" not in value else value


def shown(value: Any) -> str:
    """A value as a table cell."""
    return naming.readable(part_or_value(value))


def summary(exp: Expansion) -> str:
    fam = exp.family
    lines = []
    notes = []
    if exp.excluded:
        notes.append(f"{len(exp.excluded)} excluded")
    merged = sum(len(v) for v in exp.merged.values())
    if merged:
        notes.append(f"{merged} duplicate{'s' if merged != 1 else ''} merged")
    extra = f" ({exp.generated} combinations: {', '.join(notes)})" if notes else ""
    lines.append(f"family {fam.family}: {len(exp.members)} member{'s' if len(exp.members) != 1 else ''}{extra}")
    base = fam.base if isinstance(fam.base, str) else "inline"
    lines.append(f"base: {base} (experiment {exp.base.name})")
    if exp.varied:
        lines.append("varies:")
        width_key = max(len(exp.keys[p]) for p in exp.varied)
        width_path = max(len(p) for p in exp.varied)
        for path in exp.varied:
            seen: list[str] = []
            for m in exp.members:
                text = shown(member_values(m, [path])[path])
                if text not in seen:
                    seen.append(text)
            lines.append(f"  {exp.keys[path]:<{width_key}}  {path:<{width_path}}  {', '.join(seen)}")
    return "\n".join(lines)


def member_table(exp: Expansion) -> str:
    headers = ["#", "name"] + [exp.keys[p] for p in exp.varied]
    rows = []
    for i, m in enumerate(exp.members, 1):
        values = member_values(m, exp.varied)
        rows.append([str(i), m.name] + [shown(values[p]) for p in exp.varied])
    widths = [max(len(r[c]) for r in rows + [headers]) for c in range(len(headers))]
    fmt = lambda row: "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
    return "\n".join([fmt(headers)] + [fmt(r) for r in rows])
