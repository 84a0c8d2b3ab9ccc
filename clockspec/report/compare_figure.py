"""`clockspec compare`'s figure: the runs' curves overlaid, one panel per metric they recorded
(train solid, test dashed), each run in its own colour, its clocks as dotted vertical lines
in that colour; the legend names each run by what sets it apart."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from clockspec.report import figures
from clockspec.report.run_figure import _finite, _panels

PANEL_W, PANEL_H = 6.4, 3.0
LABEL_GAP_IN = 0.14  # inches between the clock names' (vertical) labels


def compare_figure(runs: Sequence[tuple[str, list[Mapping[str, Any]], Mapping[str, int | None]]]) -> bytes:
    """PNG bytes; each run is (legend label, its metric rows, {clock: step or None})."""
    panels = _panels([row for _, rows, _ in runs for row in rows])
    last = max((r["step"] for _, rows, _ in runs for r in rows), default=0)
    log_x = last >= 100
    ncols = 2 if len(panels) > 1 else 1
    nrows = max(1, math.ceil(len(panels) / ncols))
    legend_h = 0.28 * len(runs) + 0.3
    fig = figures.new_figure(PANEL_W * ncols, PANEL_H * nrows + legend_h + 0.6, dpi=100)
    colours = figures.colours(len(runs))
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(len(panels))]
    for ax, (title, metrics) in zip(axes, panels):
        for (_, rows, clocks), colour in zip(runs, colours):
            _draw_run(ax, rows, metrics, clocks, colour, log_x)
        ax.set_title(title, fontsize=11, loc="left")
        if log_x:
            ax.set_xscale("log")
        if any(m.endswith("loss") for m in metrics):
            ax.set_yscale("log")
        figures.grid(ax)
        ax.set_xlabel("step", fontsize=9)
    handles = [_key(colour, label) for (label, _, _), colour in zip(runs, colours)]
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), fontsize=9, frameon=False,
               title="runs (dotted lines: their clocks; train solid, test dashed)", title_fontsize=9)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.7 / fig.get_figwidth(), right=0.98, top=1 - 0.35 / height,
                        bottom=(legend_h + 0.5) / height, hspace=0.45, wspace=0.22)
    if axes:
        _name_clocks(axes[0], [(clocks, colour) for (_, _, clocks), colour in zip(runs, colours)], log_x)
    return figures.png_bytes(fig)


def _draw_run(ax: Any, rows: list[Mapping[str, Any]], metrics: list[str], clocks: Mapping[str, int | None],
              colour: str, log_x: bool) -> None:
    """One run's curves in a panel, and its clocks."""
    for metric in metrics:
        xs, ys = _finite(rows, metric, log_x)
        if metric.endswith("loss"):  # drawn on a log axis: a zero has no place there
            ys = [y if y > 0 else math.nan for y in ys]
        ax.plot(xs, ys, color=colour, lw=1.5, ls="--" if metric.startswith("test") else "-")
    for step in clocks.values():
        if step is not None and (step > 0 or not log_x):
            ax.axvline(step, color=colour, lw=0.9, ls=":", alpha=0.9)


def _name_clocks(ax: Any, runs: list[tuple[Mapping[str, int | None], str]], log_x: bool) -> None:
    """The clocks' names at the top of the first panel, by their lines: a name that close
    lines share is said once (in ink when the runs differ), and a label that would touch the
    one before it moves right until it does not."""
    to = (lambda x: math.log10(x)) if log_x else float
    back = (lambda u: 10 ** u) if log_x else float
    lo, hi = (to(v) for v in ax.get_xlim())  # the limits the data set, now that every line is drawn
    gap = LABEL_GAP_IN / (ax.get_position().width * ax.figure.get_figwidth()) * (hi - lo)
    marks = sorted((to(step), name, colour) for clocks, colour in runs for name, step in clocks.items()
                   if step is not None and (step > 0 or not log_x))
    labels: list[list[Any]] = []  # [position, name, colour]
    for u, name, colour in marks:
        same = next((lab for lab in labels if lab[1] == name and u - lab[0] < gap), None)
        if same is not None:
            same[2] = same[2] if same[2] == colour else figures.INK
            continue
        labels.append([max(u, labels[-1][0] + gap) if labels else u, name, colour])
    for u, name, colour in labels:
        ax.annotate(name, (back(u), 0.98), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                    color=colour, ha="right", va="top")


def _key(colour: str, label: str) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, lw=2, label=label)
