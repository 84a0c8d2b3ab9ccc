"""curves.png: the metrics over steps with every clock as a labelled vertical line.

Drawn in the house style of `figures` (matplotlib's object API on Agg, no pyplot). Two
panels a row; an odd last panel spans the row (no empty slot). Each panel's y axis says what
is measured and in which unit; an accuracy panel marks chance (1 / the task's classes).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from clockspec.ir.losses import LOSSES
from clockspec.ir.metrics import METRICS
from clockspec.report import figures

PAIRS = (("loss", "train_loss", "test_loss"), ("accuracy", "train_acc", "test_acc"))
TRAIN, TEST = figures.SERIES[:2]
PANEL_H, TITLE_H = 2.9, 0.85  # inches
CLOCK_COLORS = figures.SERIES[2:]
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
def _finite(rows: list[Mapping[str, Any]], metric: str, log_x: bool) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for row in rows:
        value = row.get(metric)
        if value is None or not math.isfinite(value) or (log_x and row["step"] <= 0):
            continue
        xs.append(row["step"])
        ys.append(value)
    return xs, ys


def _summary(spec: Any) -> str:
    """The title's second line: the task and the model in a few words each (their `summary`)."""
    opt = spec.optimizer
    regs = [f"{kind} {cfg.strength:g}" for kind, cfg in spec.regularizers if cfg is not None]
    return "  ·  ".join([spec.task.summary(), spec.model.summary(), f"{opt.kind} lr {opt.lr:g}"]
                        + (regs or ["no regularizer"]))


def plot_curves(rows: list[Mapping[str, Any]], spec: Any, clocks: Mapping[str, Any], status: str) -> bytes:
    """The figure as PNG bytes."""
    return figures.png_bytes(curves_figure(rows, spec, clocks, status))


def curves_figure(rows: list[Mapping[str, Any]], spec: Any, clocks: Mapping[str, Any], status: str) -> Any:
    """The figure itself (a test measures its layout)."""
    panels = _panels(rows) or [("no finite probe row to draw", [])]  # a run that diverged at step 0
    last = max((r["step"] for r in rows), default=0)
    log_x = last >= 100
    ncols = 2 if len(panels) > 1 else 1
    nrows = max(1, math.ceil(len(panels) / ncols))
    legend_rows = math.ceil(len(clocks) / 2)
    width, height = 6.4 * ncols, PANEL_H * nrows + TITLE_H + 0.8 + 0.25 * legend_rows
    fig = figures.new_figure(width, height, dpi=110)
    axes = _grid(fig, len(panels), nrows, ncols)
    colors = {name: CLOCK_COLORS[i % len(CLOCK_COLORS)] for i, name in enumerate(clocks)}
    fired = _fired(clocks, log_x)
    for ax, (title, metrics) in zip(axes, panels):
        span = _positive_span(rows, metrics, log_x)
        for metric in metrics:
            _draw_metric(ax, rows, metric, len(metrics) > 1, log_x, span)
        _dress_panel(ax, title, metrics, spec)
        _clock_lines(ax, metrics, spec, fired, colors)
    _step_axis(axes, nrows, ncols, last, log_x)
    _clock_labels(axes[0], fired, colors, last, log_x)
    handles = _legend(fig, spec, clocks, colors)
    state = "" if status == "complete" else f"  [{status}]"
    fig.suptitle(f"{spec.name}{state}\n{_summary(spec)}", fontsize=12, x=0.02, y=1 - 0.12 / height, ha="left", va="top")
    # Fixed margins in inches (tight_layout costs seconds on log axes).
    legend_h = 0.25 * math.ceil(len(handles) / 2) + 0.2 if handles else 0.2
    fig.subplots_adjust(left=0.95 / width, right=1 - 0.25 / width, top=1 - TITLE_H / height,
                        bottom=(legend_h + 0.55) / height, hspace=0.42, wspace=0.25)
    for axis in [axes[0].xaxis] + [ax.yaxis for ax in axes]:  # the step axis is shared
        _ticks_in_view(axis)
    return fig


def _ticks_in_view(axis: Any) -> None:
    """Fix an axis' ticks, once its limits are, to those it shows: a locator's ticks beyond
    the limits were made (each a handful of artists) and never drawn, a tenth of the figure's time."""
    from matplotlib.ticker import FixedLocator

    lo, hi = sorted(axis.get_view_interval())
    slack = (hi - lo) * 1e-9
    axis.set_major_locator(FixedLocator([t for t in axis.get_majorticklocs() if lo - slack <= t <= hi + slack]))


def _grid(fig: Any, n: int, nrows: int, ncols: int) -> list[Any]:
    """One axes per panel sharing the step axis; an odd last panel takes its whole row."""
    spec = fig.add_gridspec(nrows, ncols)
    axes: list[Any] = []
    for i in range(n):
        row, col = divmod(i, ncols)
        cell = spec[row, :] if i == n - 1 and n % ncols else spec[row, col]
        axes.append(fig.add_subplot(cell, sharex=axes[0] if axes else None))
    return axes


def _panels(rows: list[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """(title, metrics) per panel: train and test of loss and of accuracy share one, every
    other recorded metric has its own, in the metric registry's order."""
    recorded = [m for m in METRICS if any(r.get(m) is not None for r in rows)]
    panels: list[tuple[str, list[str]]] = []
    for title, *metrics in PAIRS:
        present = [m for m in metrics if m in recorded]
        if present:
            panels.append((title, present))
    paired = {m for _, *ms in PAIRS for m in ms}
    return panels + [(m, [m]) for m in recorded if m not in paired]


def _positive_span(rows: list[Mapping[str, Any]], metrics: list[str], log_x: bool) -> tuple[float, float] | None:
    """The least and the greatest positive value of a panel's metrics: a log axis' ticks and
    floor are chosen for all its lines (train and test loss can be decades apart)."""
    values = [y for metric in metrics for y in _finite(rows, metric, log_x)[1] if y > 0]
    return (min(values), max(values)) if values else None


def _draw_metric(ax: Any, rows: list[Mapping[str, Any]], metric: str, labelled: bool, log_x: bool,
                 span: tuple[float, float] | None) -> None:
    """One metric's line; a log-scale metric on a log axis (ticks for the panel's `span`),
    its exact zeros as ticks on the floor."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

    xs, ys = _finite(rows, metric, log_x)
    color = TEST if metric.startswith("test") else TRAIN
    label = metric.replace("_loss", "").replace("_acc", "") if labelled else None
    positive = [y for y in ys if y > 0]
    if not (METRICS[metric].log_scale and positive and min(ys) >= 0):
        ax.plot(xs, ys, color=color, lw=1.8, label=label)
        if METRICS[metric].log_scale and positive:
            ax.set_yscale("symlog", linthresh=min(positive))
        return
    low, high = span
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())
    if high < 100 * low:  # under two decades: label 1-2-5 (or every digit), not 10^k
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)) if high >= 10 * low
                                   else MaxNLocator(nbins=5))  # within a decade: evenly spaced values
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.3g}"))
    else:  # set_yscale's own locator: the decades
        ax.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
    ax.plot(xs, [y if y > 0 else math.nan for y in ys], color=color, lw=1.8, label=label)
    zeros = [x for x, y in zip(xs, ys) if y == 0]
    if zeros:
        floor = low / 3
        ax.plot(zeros, [floor] * len(zeros), ls="none", marker="|", ms=7, color=color, alpha=0.7)
        ax.set_ylim(bottom=floor / 2)
        ax.annotate("ticks on the floor: exactly 0", xy=(0.01, 0.03), xycoords="axes fraction",
                    ha="left", va="bottom", fontsize=8, color=color)


def power_of_ten(y: float, _: Any = None) -> str:
    """A decade's tick as `10⁻⁶`: matplotlib's label, in Unicode superscripts rather than
    mathtext (parsing TeX for every tick label was a tenth of the figure's time)."""
    return "10" + str(round(math.log10(y))).translate(SUPERSCRIPT)


def _unit(metrics: list[str], title: str) -> str:
    """What a panel measures: its (first) metric's own `unit`; a part of a metric
    (`layer_norms.0`) has its whole's; else (no unit, an empty panel) the panel's title."""
    metric = metrics[0] if metrics else ""
    known = METRICS.get(metric) or METRICS.get(metric.split(".")[0])
    return known.unit if known is not None and known.unit else title


def _dress_panel(ax: Any, title: str, metrics: list[str], spec: Any) -> None:
    ax.set_title(_panel_title(title, spec), fontsize=11, loc="left", y=1.0)
    ax.set_ylabel(LOSSES[spec.train.loss].unit if title == "loss" else _unit(metrics, title),
                  fontsize=9)
    figures.grid(ax)
    if title == "accuracy":
        ax.set_ylim(-0.03, 1.03)
        classes = spec.task.sizes()["output_dim"]
        ax.axhline(1 / classes, color=figures.FAINT, ls="-.", lw=1.0, label=f"chance (1/{classes})")
    if len(metrics) > 1:
        # on the title line at the right, clear of the data: no search for a free corner
        # (matplotlib's loc="best", a tenth of the figure's time) and no line under it
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, fontsize=9, frameon=False, borderaxespad=0.1)


def _fired(clocks: Mapping[str, Any], log_x: bool) -> list[tuple[str, int]]:
    """(name, step) of each clock that fired where the step axis can show it (not at 0 on a log axis)."""
    return [(name, result.step) for name, result in clocks.items()
            if result.reached and result.step is not None and (result.step > 0 or not log_x)]


def _clock_lines(ax: Any, metrics: list[str], spec: Any, fired: list[tuple[str, int]], colors: dict[str, str]) -> None:
    """Each fired clock as a dashed vertical line, all of a panel's in one collection (a
    line each cost a tenth of the figure's time); a threshold on this panel's metric as a
    dotted one."""
    from matplotlib.collections import LineCollection

    if fired:  # from the bottom to the top of the panel, in data steps; on top of the curves, as lines are
        ax.add_collection(LineCollection([[(step, 0), (step, 1)] for _, step in fired],
                                         colors=[colors[name] for name, _ in fired], linestyles="--",
                                         linewidths=1.3, alpha=0.9, zorder=2, transform=ax.get_xaxis_transform()),
                          autolim=False)
    for name, clock in spec.clocks.items():
        if name in colors and clock.threshold is not None and clock.metric in metrics:
            ax.axhline(clock.threshold, color=colors[name], ls=":", lw=1.0, alpha=0.8)


def _step_axis(axes: list[Any], nrows: int, ncols: int, last: int, log_x: bool) -> None:
    """Step values under every panel (a reader of an upper panel need not look down a column
    for them), the axis' name under each column's bottom panel; on a log axis, as many ticks
    a decade as fit (1-2-5 over three decades or fewer, 1-3 up to six, else 1) in short form (`20k`)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    bottom = {i for i, ax in enumerate(axes) if ax.get_subplotspec().rowspan.stop == nrows}
    for i, ax in enumerate(axes):
        ax.tick_params(labelbottom=True)
        if i in bottom:
            ax.set_xlabel("step (log scale)" if log_x else "step")
    if log_x:
        decades = math.log10(max(last, 10))
        subs = (1.0, 2.0, 5.0) if decades <= 3 else (1.0, 3.0) if decades <= 6 else (1.0,)
        axes[0].set_xscale("log")
        axes[0].xaxis.set_major_locator(LogLocator(base=10, subs=subs))
        axes[0].xaxis.set_minor_locator(NullLocator())  # minor ticks cost seconds over many panels
    axes[0].xaxis.set_major_formatter(FuncFormatter(lambda x, _: short_step(x)))


def short_step(x: float) -> str:
    """A step as a tick says it: `500`, `2k`, `20k`, `1.5M`."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def _clock_labels(top: Any, fired: list[tuple[str, int]], colors: dict[str, str], last: int, log_x: bool) -> None:
    """Each fired clock's name beside its line in the top panel, close ones staggered."""
    placed: list[float] = []  # log10 steps of the labels already drawn
    for name, step in sorted(fired, key=lambda item: item[1]):
        pos = math.log10(step) if log_x else step / max(last, 1)
        near = sum(1 for p in placed if abs(p - pos) < (0.12 if log_x else 0.04))
        placed.append(pos)
        # Beside the line, not on it: offset to its right on a white ground.
        top.annotate(name, xy=(step, 1.0 - 0.3 * near), xycoords=("data", "axes fraction"),
                     xytext=(4, -3), textcoords="offset points", rotation=90, va="top", ha="left",
                     fontsize=9, color=colors[name], fontweight="bold",
                     bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})


def _legend(fig: Any, spec: Any, clocks: Mapping[str, Any], colors: dict[str, str]) -> list[Any]:
    """The clocks' legend under the panels: each clock's step (or why not) and its expression."""
    from matplotlib.lines import Line2D

    handles = []
    for name, result in clocks.items():
        clock = spec.clocks.get(name)
        text = clock.text() if clock is not None else result.metric
        when = f"step {result.step}" if result.reached else (
            "not reached" + (f" (last {result.value:.3g})" if result.value is not None else ""))
        handles.append(Line2D([], [], color=colors[name], ls="--" if result.reached else ":",
                              label=f"{name}: {when}  —  {text}"))
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(2, len(handles)), fontsize=9,
                   frameon=False, bbox_to_anchor=(0.5, 0.0))
    return handles


def _panel_title(title: str, spec: Any) -> str:
    """A metric's panel names its probe option (`Metric.title`); a pair's is its title."""
    return METRICS[title].title(spec.probes) if title in METRICS else title
