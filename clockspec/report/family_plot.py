"""clocks.png: each clock against each varied axis, seeds aggregated (see family_table), and
first, where the spec has both, the fitting and the generalisation clock on one axis: the
separation between them is what a grokking study is about.

The median line joins only medians that are values: a censored median (a lower bound,
hollow triangle) stands apart, as does a part switched off. Every series its own colour.

Drawn in the house style (`figures`: no pyplot, no global state). A numeric axis
spanning a decade or more is drawn on a log scale; a part switched off (null) sits left of
the numbers at a tick labelled `off`; any other axis is categorical. Steps are on a log
scale when they span a factor of 5 or more.
"""
from __future__ import annotations

import math
from typing import Any

from clockspec.report import figures
from clockspec.report.family_table import SEED_PATHS, FamilyReport, Point, axes_to_plot, is_number, series
from clockspec.syntax import naming

FIT_NAMES, GEN_NAMES = ("fit",), ("generalize", "generalise", "grok", "generalization")
CELL_W, CELL_H = 3.9, 2.7  # inches
MAX_WRAP = 3  # columns the clocks' panels wrap into when one axis varies


def _x_layout(values: list[Any]) -> tuple[dict[Any, float], list[float], list[str], bool]:
    """Positions of the axis values, the ticks and their labels, and whether x is log."""
    numbers = sorted({v for v in values if is_number(v)})
    others = [v for v in dict.fromkeys(values) if not is_number(v)]
    if numbers and all(v is None for v in others):
        log = numbers[0] > 0 and numbers[-1] / numbers[0] >= 10
        pos: dict[Any, float] = {v: float(v) for v in numbers}
        ticks, labels = list(pos.values()), [naming.readable(v) for v in numbers]
        if others:  # a part switched off: left of the numbers
            if log:
                off = numbers[0] / (numbers[-1] / numbers[0]) ** 0.25 if len(numbers) > 1 else numbers[0] / 3
            else:
                span = (numbers[-1] - numbers[0]) or abs(numbers[0]) or 1.0
                off = numbers[0] - 0.25 * span
            pos[None] = off
            ticks.insert(0, off)
            labels.insert(0, "off")
        return pos, ticks, labels, log
    ordered = numbers + others
    pos = {v: float(i) for i, v in enumerate(ordered)}
    return pos, list(pos.values()), [naming.readable(v) if not isinstance(v, str) else v for v in ordered], False


def plot_clocks(report: FamilyReport) -> bytes:
    """The grid of panels as PNG bytes: one row per clock (after the fit-and-generalise row,
    where there is one), one column per varied axis; with one axis, the clocks' panels
    wrap into up to MAX_WRAP columns instead of one tall column."""
    axes_paths = axes_to_plot(report)
    pair = separation_pair(report.clock_names)
    rows: list[tuple[str, ...]] = ([pair] if pair else []) + [(c,) for c in report.clock_names]
    wrapped = len(axes_paths) == 1 and len(rows) > 1
    ncols = min(MAX_WRAP, len(rows)) if wrapped else len(axes_paths)
    nrows = math.ceil(len(rows) / ncols) if wrapped else len(rows)
    width = max(6.0, CELL_W * ncols + 0.9)
    height = CELL_H * nrows + (1.5 if width >= 8 else 1.9)
    fig = figures.new_figure(width, height, dpi=100)
    grid = fig.subplots(nrows, ncols, squeeze=False)
    panels = [(i // ncols, i % ncols, axes_paths[0], clocks) for i, clocks in enumerate(rows)] if wrapped else \
        [(row, col, axis, clocks) for col, axis in enumerate(axes_paths) for row, clocks in enumerate(rows)]
    for row, col, axis, clocks in panels:
        ax = grid[row][col]
        _panel(ax, [series(report, axis, c) for c in clocks])
        what = f"{clocks[0]} (solid), {clocks[1]} (dashed)" if len(clocks) == 2 else clocks[0]
        if wrapped:
            ax.set_title(what, fontsize=9, loc="left")
        elif row == 0:
            ax.set_title(f"{report.keys[axis]}  ({axis})", fontsize=9, loc="left")
        if row == nrows - 1 or (wrapped and (row + 1) * ncols + col >= len(rows)):  # nothing below it
            ax.set_xlabel(report.keys[axis] + (f"  ({axis})" if wrapped else ""), fontsize=9)
        if col == 0:
            ax.set_ylabel("step" if wrapped else f"{what}: step", fontsize=9)
    for i in range(len(panels), nrows * ncols):
        grid[i // ncols][i % ncols].set_axis_off()
    ncol = 3 if width >= 8 else 1
    _legend(fig, _seed_count(report), ncol)
    fig.suptitle(f"family {report.family}: clocks against what varies", fontsize=11, x=0.02, ha="left",
                 y=1 - 0.1 / height, va="top")
    fig.subplots_adjust(left=0.8 / width, right=1 - 0.2 / width, top=1 - 0.75 / height,
                        bottom=(0.9 if ncol == 3 else 1.3) / height, hspace=0.45, wspace=0.3)
    return figures.png_bytes(fig)


def separation_pair(clocks: list[str]) -> tuple[str, str] | None:
    """The fitting and the generalisation clock, by name, when the spec has both."""
    fit = next((c for c in clocks if c.lower() in FIT_NAMES), None)
    gen = next((c for c in clocks if c.lower() in GEN_NAMES), None)
    return (fit, gen) if fit and gen else None


def _panel(ax: Any, clocks: list[dict[tuple, list[Point]]]) -> None:
    """One or two clocks against one axis: a line per setting of the other axes (the second
    clock dashed), or a note."""
    from matplotlib.ticker import FixedLocator, NullLocator

    values = [p.x for lines in clocks for pts in lines.values() for p in pts]
    if not values:
        ax.text(0.5, 0.5, "no finished members", ha="center", va="center", transform=ax.transAxes,
                fontsize=9, color=figures.FAINT)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    pos, ticks, labels, log_x = _x_layout(values)
    keys = sorted({key for lines in clocks for key in lines}, key=str)
    colour = dict(zip(keys, figures.colours(len(keys))))
    for i, (ls, lines) in enumerate(zip(("-", "--"), clocks)):
        for key, pts in lines.items():  # one setting: the two clocks in the house's train/test colours
            _draw(ax, pts, pos, figures.SERIES[i] if len(keys) == 1 else colour[key], ls)
    if log_x:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels(labels, fontsize=8, rotation=30 if max(len(t) for t in labels) > 6 else 0)
    _step_axis(ax, [v for lines in clocks for pts in lines.values() for p in pts for v in (p.low, p.high) if v > 0])
    figures.grid(ax)
    ax.tick_params(labelsize=8)
    _pad(ax, ticks, log_x)


def _step_axis(ax: Any, steps: list[float]) -> None:
    """Steps on a log scale when the clocks move by factors (5x or more), else linear."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

    if steps and max(steps) >= 5 * min(steps):
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_locator(NullLocator())
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))


def _legend(fig: Any, n_seeds: int, ncol: int) -> None:
    """What the marks mean, once for the whole figure."""
    from matplotlib.lines import Line2D

    ink = figures.INK
    handles = [
        Line2D([], [], color=ink, marker="o", ls="-", label=f"median over {n_seeds} seed{'s' if n_seeds != 1 else ''}"
               if n_seeds > 1 else "one run"),
        Line2D([], [], color=ink, marker="|", ls="", markersize=10, label="min–max over seeds"),
        Line2D([], [], color=ink, marker="^", mfc="none", ls="", label="censored: never fired (a lower bound)"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0.0))


def _draw(ax: Any, pts: list[Point], pos: dict[Any, float], color: str, ls: str = "-") -> None:
    pts = sorted(pts, key=lambda p: pos[p.x])
    xs = [pos[p.x] for p in pts]
    # Only medians that are values are joined: a censored one (a lower bound) breaks the line,
    # and `off` stands apart.
    ys = [math.nan if p.censored or p.x is None else p.median for p in pts]
    ax.plot(xs, ys, color=color, lw=1.2, ls=ls, alpha=0.8, zorder=2)
    for x, p in zip(xs, pts):
        if p.high > p.low:
            ax.vlines(x, p.low, p.high, color=color, lw=2.5, alpha=0.35, zorder=1)
        if p.censored:
            ax.plot([x], [p.median], marker="^", ms=8, mfc="white", mec=color, mew=1.6, ls="", zorder=3)
        else:
            ax.plot([x], [p.median], marker="o" if ls == "-" else "s", ms=5, color=color, ls="", zorder=3)
        if p.n_censored and not p.censored:
            ax.annotate(f"{p.n_censored}/{p.n} censored", (x, p.median), xytext=(5, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=7, color=color)


def _pad(ax: Any, ticks: list[float], log_x: bool) -> None:
    lo, hi = min(ticks), max(ticks)
    if log_x:
        ax.set_xlim(lo / 1.6, hi * 1.6)
    else:
        span = (hi - lo) or 1.0
        ax.set_xlim(lo - 0.12 * span, hi + 0.12 * span)


def _seed_count(report: FamilyReport) -> int:
    seeds = [p for p in report.varied if p in SEED_PATHS]
    if not seeds:
        return 1
    return max(1, len({tuple(r.values[p] for p in seeds) for r in report.rows}))
