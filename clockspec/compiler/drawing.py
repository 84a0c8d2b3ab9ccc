"""Drawings of a Plan: Graphviz dot, Mermaid (renders in a pull request), node-link JSON.

Each node shows its id, the gist of its part of the spec and the first 12 hex digits of its
hash, so a reviewer can see at a glance what an edit invalidates.
"""
from __future__ import annotations

import json
from typing import Any

from clockspec.compiler.plan import Plan, PlanNode

SHORT = 12
# Fill colour per stage: data side, model side, the run, and what is read off it.
COLOURS = {"data": "#dbeafe", "split": "#dbeafe", "model": "#dcfce7", "init": "#dcfce7",
           "objective": "#fef9c3", "optimizer": "#fef9c3", "train": "#fed7aa",
           "probe": "#f3e8ff", "clock": "#fce7f3", "report": "#e5e7eb"}


def gist(node: PlanNode, width: int = 48) -> list[str]:
    """A few short lines that say what the node computes."""
    data = node.data
    if node.stage == "clock":
        return [str(data["clock"])]
    if node.stage == "probe":
        return [f"{k}={_short(v)}" for k, v in data.items() if k != "metric"]
    if node.stage == "report":
        return []
    if node.stage == "train":
        stop = data.get("stop")
        lines = [f"steps={data['steps']} batch={data['batch']} {data['dtype']} on {data['device']}",
                 _schedule_words(data["probes"])]
        if stop:
            lines.append(f"stop after {', '.join(stop['after'])}" + (f" +{stop['patience']}" if stop["patience"] else ""))
        return lines
    lines: list[str] = []
    cur = ""
    for key, value in data.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            # e.g. regularizers: one line per regulariser
            lines += [cur] if cur else []
            cur = ""
            lines += [f"{name}: " + " ".join(f"{k}={_short(v)}" for k, v in sub.items()) for name, sub in value.items()]
            continue
        item = f"{key}={_short(value)}"
        if cur and len(cur) + len(item) + 1 > width:
            lines.append(cur)
            cur = item
        else:
            cur = f"{cur} {item}".strip()
    return lines + ([cur] if cur else [])


def _schedule_words(probes: dict) -> str:
    if probes["schedule"] == "every":
        return f"probes every {probes['every']} steps"
    return f"probes at ~{probes['points']} log-spaced steps"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def to_dot(plan: Plan) -> str:
    out = [f'digraph "{plan.spec.name}" {{', "  rankdir=LR;",
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
           '  edge [color="#6b7280"];']
    for node in plan.nodes.values():
        lines = [node.id] + gist(node) + [node.hash[:SHORT]]
        label = "\\n".join(_dot_escape(t) for t in lines)
        out.append(f'  "{node.id}" [label="{label}", fillcolor="{COLOURS[node.stage]}"];')
    for node in plan.nodes.values():
        out.extend(f'  "{src}" -> "{node.id}";' for src in node.inputs)
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_mermaid(plan: Plan) -> str:
    ids = {node_id: f"n{i}" for i, node_id in enumerate(plan.nodes)}
    out = ["flowchart LR"]
    for node in plan.nodes.values():
        lines = [f"<b>{node.id}</b>"] + gist(node) + [f"<code>{node.hash[:SHORT]}</code>"]
        label = "<br/>".join(_mermaid_escape(t) if not t.startswith(("<b>", "<code>")) else t for t in lines)
        out.append(f'  {ids[node.id]}["{label}"]')
    for node in plan.nodes.values():
        out.extend(f"  {ids[src]} --> {ids[node.id]}" for src in node.inputs)
    for stage, colour in COLOURS.items():
        members = [ids[n.id] for n in plan.nodes.values() if n.stage == stage]
        if members:
            out.append(f"  classDef {stage} fill:{colour},stroke:#6b7280")
            out.append(f"  class {','.join(members)} {stage}")
    return "\n".join(out) + "\n"


def _mermaid_escape(text: str) -> str:
    """Mermaid's own entity codes (`#lt;`), so `<=` in a clock is not read as markup."""
    return text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_node_link(plan: Plan) -> str:
    """networkx's node-link JSON of the graph, each node carrying stage, hash and data."""
    nodes = [{"id": n.id, "stage": n.stage, "hash": n.hash, "data": n.data} for n in plan.nodes.values()]
    links = [{"source": src, "target": n.id} for n in plan.nodes.values() for src in n.inputs]
    return json.dumps({"directed": True, "multigraph": False, "graph": {"name": plan.spec.name},
                       "nodes": nodes, "links": links}, indent=2) + "\n"


FORMATS = {"dot": to_dot, "mermaid": to_mermaid, "json": to_node_link}
