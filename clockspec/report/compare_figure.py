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
    for i, (ax, (title, metrics)) in enumerate(zip(axes, panels)):
        for (_, rows, clocks), colour in zip(runs, colours):
            _draw_run(ax, rows, metrics, clocks, colour, log_x, named=i == 0)
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
    return figures.png_bytes(fig)


def _draw_run(ax: Any, rows: list[Mapping[str, Any]], metrics: list[str], clocks: Mapping[str, int | None],
              colour: str, log_x: bool, named: bool) -> None:
    """One run's curves in a panel, and its clocks (`named`: with their names, in the first panel)."""
    for metric in metrics:
        xs, ys = _finite(rows, metric, log_x)
        if metric.endswith("loss"):  # drawn on a log axis: a zero has no place there
            ys = [y if y > 0 else math.nan for y in ys]
        ax.plot(xs, ys, color=colour, lw=1.5, ls="--" if metric.startswith("test") else "-")
    for step in clocks.values():
        if step is not None and (step > 0 or not log_x):
            ax.axvline(step, color=colour, lw=0.9, ls=":", alpha=0.9)
    if named:
        for name, step in clocks.items():
            if step is not None and (step > 0 or not log_x):
                ax.annotate(name, (step, 0.98), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                            color=colour, ha="right", va="top")


def _key(colour: str, label: str) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, lw=2, label=label)
