"""A plan drawn as a PNG with networkx and matplotlib, so `clockspec graph --format png` needs
no Graphviz: layered top to bottom, each node one row below its deepest input (networkx's
topological generations), nodes in a row in the plan's stage order (a wide layer, the probes,
wraps onto further rows), each node a box in its stage's colour labelled with its id, an arrow
from each input; an arrow that skips a row bends, so it never reads as a chain through the
box it passes. One row per stage would put `split` above `model` and draw `split -> train`
straight through `model`, `init` and the optimizer. A wrapped row sits half a node to the
right of the row above it, so arrows into it pass between that row's boxes; an arrow that
still crosses a box is drawn over the box's fill, under its label, never hidden behind it."""
from __future__ import annotations

from typing import Any

from clockspec.compiler.drawing import COLOURS, SHORT
from clockspec.compiler.plan import Plan
from clockspec.report.figures import INK, new_figure, png_bytes

PER_ROW = 5  # nodes side by side before a layer wraps
NODE_W, ROW_H = 2.1, 0.62  # inches per node across, per row down
EDGE = "#6b7280"  # the dot drawing's edge colour


def rows(plan: Plan) -> dict[str, int]:
    """Each node's row: its topological generation, PER_ROW nodes a row, in plan order."""
    import networkx as nx

    order = {node_id: i for i, node_id in enumerate(plan.nodes)}
    out: dict[str, int] = {}
    for generation in nx.topological_generations(plan.graph):
        first = len(set(out.values()))
        ids = sorted(generation, key=order.__getitem__)
        out.update({node_id: first + i // PER_ROW for i, node_id in enumerate(ids)})
    return out


def wrapped(plan: Plan, row: dict[str, int]) -> set[int]:
    """The rows that continue the generation of the row above them."""
    import networkx as nx

    generation = {n: g for g, ids in enumerate(nx.topological_generations(plan.graph)) for n in ids}
    first = {r: generation[n] for n, r in sorted(row.items(), key=lambda item: -item[1])}
    return {r for r in first if r > 0 and first.get(r - 1) == first[r]}


def plan_png(plan: Plan, dpi: float = 150) -> bytes:
    """The plan as PNG bytes."""
    import networkx as nx

    graph = plan.graph
    row = rows(plan)
    layers = {r: [n for n in plan.nodes if row[n] == r] for r in set(row.values())}
    width = max(len(ids) for ids in layers.values())
    # scale = the layout's own half-extent: one unit between neighbours and between rows
    pos = nx.multipartite_layout(graph, subset_key=layers, align="horizontal",
                                 scale=max(len(layers) - 1, width - 1, 1) / 2)
    shifted = wrapped(plan, row)
    pos = {n: (x + 0.5 if row[n] in shifted else x, y) for n, (x, y) in pos.items()}
    fig = new_figure((max(width, 2) + (0.5 if shifted else 0)) * NODE_W, (max(row.values()) + 2) * ROW_H, dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    ax.set_axis_off()
    boxes = {node_id: _box(ax, pos[node_id], node_id, COLOURS[plan.nodes[node_id].stage]) for node_id in plan.nodes}
    for src, dst in graph.edges:
        bend = 0.25 if row[dst] - row[src] > 1 else 0.0
        ax.annotate("", xy=pos[dst], xytext=pos[src], arrowprops={
            "arrowstyle": "-|>", "color": EDGE, "lw": 0.8, "shrinkA": 1, "shrinkB": 1,
            "connectionstyle": f"arc3,rad={bend}",
            "patchA": boxes[src].get_bbox_patch(), "patchB": boxes[dst].get_bbox_patch()}, zorder=2)
    for node_id in plan.nodes:  # the labels over the arrows that cross their box
        ax.text(*pos[node_id], node_id, ha="center", va="center", fontsize=8, zorder=3, color=INK)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(max(ys) + 0.5, min(ys) - 0.5)  # the first stage on top
    fig.suptitle(f"{plan.spec.name}  (train {plan.train_hash[:SHORT]})", fontsize=9, color=INK, y=0.995, va="top")
    fig.canvas.draw()  # places the boxes, so the arrows drawn before them end at their edges
    return png_bytes(fig)


def _box(ax: Any, xy: Any, label: str, colour: str) -> Any:
    """The node's box, sized by its label (drawn unseen here: the label is drawn again above the arrows)."""
    return ax.text(xy[0], xy[1], label, ha="center", va="center", fontsize=8, zorder=1, color="none",
                   bbox={"boxstyle": "round,pad=0.35", "facecolor": colour, "edgecolor": EDGE, "lw": 0.6})
