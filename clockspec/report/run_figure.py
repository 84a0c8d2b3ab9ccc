"""curves.png: the metrics over steps with every clock as a labelled vertical line.

Drawn with matplotlib's Agg canvas directly (no pyplot), so it never touches the caller's
backend or global figure state.
"""
from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

from clockspec.ir.metrics import METRICS

PAIRS = (("loss", "train_loss", "test_loss"), ("accuracy", "train_acc", "test_acc"))
TRAIN, TEST = "#1f77b4", "#d62728"
PANEL_H, TITLE_H = 2.9, 0.85  # inches
CLOCK_COLORS = ("#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")


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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    recorded = [m for m in METRICS if any(r.get(m) is not None for r in rows)]
    panels: list[tuple[str, list[str]]] = []
    for title, *metrics in PAIRS:
        present = [m for m in metrics if m in recorded]
        if present:
            panels.append((title, present))
    paired = {m for _, *ms in PAIRS for m in ms}
    panels += [(m, [m]) for m in recorded if m not in paired]

    last = max((r["step"] for r in rows), default=0)
    log_x = last >= 100
    ncols = 2 if len(panels) > 1 else 1
    nrows = max(1, math.ceil(len(panels) / ncols))
    legend_rows = math.ceil(len(clocks) / 2)
    width, height = 6.4 * ncols, PANEL_H * nrows + TITLE_H + 0.8 + 0.25 * legend_rows
    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).flatten()
    colors = {name: CLOCK_COLORS[i % len(CLOCK_COLORS)] for i, name in enumerate(clocks)}

    for ax, (title, metrics) in zip(axes, panels):
        for metric in metrics:
            xs, ys = _finite(rows, metric, log_x)
            color = TEST if metric.startswith("test") else TRAIN
            label = metric.replace("_loss", "").replace("_acc", "") if len(metrics) > 1 else None
            positive = [y for y in ys if y > 0]
            if METRICS[metric].log_scale and positive and min(ys) >= 0:
                # Log axis; exact zeros (no flips at all) break the line and sit as ticks on the floor.
                ax.set_yscale("log")
                ax.yaxis.set_minor_locator(NullLocator())
                ax.plot(xs, [y if y > 0 else math.nan for y in ys], color=color, lw=1.8, label=label)
                zeros = [x for x, y in zip(xs, ys) if y == 0]
                if zeros:
                    floor = min(positive) / 3
                    ax.plot(zeros, [floor] * len(zeros), ls="none", marker="|", ms=7, color=color, alpha=0.7)
                    ax.set_ylim(bottom=floor / 2)
                    ax.annotate("ticks on the floor: exactly 0", xy=(0.01, 0.03), xycoords="axes fraction",
                                ha="left", va="bottom", fontsize=8, color=color)
            else:
                ax.plot(xs, ys, color=color, lw=1.8, label=label)
                if METRICS[metric].log_scale and positive:
                    ax.set_yscale("symlog", linthresh=min(positive))
        ax.set_title(_panel_title(title, spec), fontsize=11, loc="left")
        ax.grid(True, which="major", alpha=0.3)
        if len(metrics) > 1:
            ax.legend(loc="best", fontsize=9, frameon=False)
        if title == "accuracy":
            ax.set_ylim(-0.03, 1.03)
        for name, result in clocks.items():
            clock = spec.clocks.get(name)
            if result.reached and result.step is not None and (result.step > 0 or not log_x):
                ax.axvline(result.step, color=colors[name], ls="--", lw=1.3, alpha=0.9)
            if clock is not None and clock.threshold is not None and clock.metric in metrics:
                ax.axhline(clock.threshold, color=colors[name], ls=":", lw=1.0, alpha=0.8)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax in axes[max(0, len(panels) - ncols):len(panels)]:
        ax.set_xlabel("step (log scale)" if log_x else "step")
        ax.tick_params(labelbottom=True)
    if log_x:
        axes[0].set_xscale("log")
        axes[0].xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axes[0].xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
        axes[0].xaxis.set_minor_locator(NullLocator())  # minor ticks cost seconds over many panels

    top = axes[0]
    placed: list[float] = []  # log10 steps of the labels already drawn, to stagger close ones
    for name, result in sorted(clocks.items(), key=lambda item: item[1].step or 0):
        if result.reached and result.step is not None and (result.step > 0 or not log_x):
            pos = math.log10(result.step) if log_x else result.step / max(last, 1)
            near = sum(1 for p in placed if abs(p - pos) < (0.12 if log_x else 0.04))
            placed.append(pos)
            top.annotate(name, xy=(result.step, 1.0 - 0.3 * near), xycoords=("data", "axes fraction"),
                         xytext=(2, -2), textcoords="offset points", rotation=90, va="top", ha="left",
                         fontsize=9, color=colors[name], fontweight="bold")

    handles = []
    from matplotlib.lines import Line2D

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
    state = "" if status == "complete" else f"  [{status}]"
    fig.suptitle(f"{spec.name}{state}\n{_summary(spec)}", fontsize=12, x=0.02, y=1 - 0.12 / height, ha="left", va="top")
    # Fixed margins in inches (tight_layout costs seconds on log axes).
    legend_h = 0.25 * math.ceil(len(handles) / 2) + 0.2 if handles else 0.2
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.25 / width, top=1 - TITLE_H / height,
                        bottom=(legend_h + 0.55) / height, hspace=0.36, wspace=0.2)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _panel_title(title: str, spec: Any) -> str:
    """A metric's panel names its probe option (`Metric.title`); a pair's is its title."""
    return METRICS[title].title(spec.probes) if title in METRICS else title
