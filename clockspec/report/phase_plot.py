"""phases.png: the phase diagram a paper prints.

Each sampled point is a marker coloured by its phase (hollow when a seed's clock that the
rules read was censored: that phase rests on a lower bound); the regions behind are the
nearest sampled point's phase on a fine mesh of the region, and the black lines between
them are the estimated boundaries. Axes in their units, log where the axis is; the legend
sits outside the data, on the right.
"""
from __future__ import annotations

import math

from clockspec.report import figures
from clockspec.report.phase_table import PhaseTable, normalised

MESH = 160  # cells per axis of the background


def _mesh(axis, n: int) -> list[float]:
    if axis.scale == "log":
        lo, hi = math.log(axis.low), math.log(axis.high)
        return [math.exp(lo + (hi - lo) * k / (n - 1)) for k in range(n)]
    return [axis.low + (axis.high - axis.low) * k / (n - 1) for k in range(n)]


def _padded(axis, pad: float = 0.04) -> tuple[float, float]:
    """The axis's bounds widened a little (in its own scale), so markers on the edge show whole."""
    if axis.scale == "log":
        ratio = (axis.high / axis.low) ** pad
        return axis.low / ratio, axis.high * ratio
    span = (axis.high - axis.low) * pad
    return axis.low - span, axis.high + span


def _nearest_labels(table: PhaseTable, xs: list[float], ys: list[float], names: list[str]):
    """Each mesh cell's phase index: the nearest sampled point's (as `nearest_phase`), at once."""
    import numpy as np

    pts = np.array([normalised(table.setup, r.x, r.y) for r in table.points])
    gx = np.array([normalised(table.setup, x, table.setup.y.low)[0] for x in xs])
    gy = np.array([normalised(table.setup, table.setup.x.low, y)[1] for y in ys])
    d = (gx[None, :, None] - pts[None, None, :, 0]) ** 2 + (gy[:, None, None] - pts[None, None, :, 1]) ** 2
    index = np.array([names.index(r.phase) for r in table.points])
    return index[np.argmin(d, axis=2)]


def plot_phases(table: PhaseTable) -> bytes:
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    names = table.phases.names + sorted({r.phase for r in table.points} - set(table.phases.names))
    colour = dict(zip(names, figures.colours(len(names))))
    fig = figures.new_figure(7.6, 4.8, dpi=100)
    ax = fig.add_axes((0.1, 0.12, 0.58, 0.8))
    setup = table.setup
    xs, ys = _mesh(setup.x, MESH), _mesh(setup.y, MESH)
    labels = _nearest_labels(table, xs, ys, names)
    ax.pcolormesh(xs, ys, labels, cmap=ListedColormap([colour[n] for n in names]), vmin=-0.5,
                  vmax=len(names) - 0.5, alpha=0.18, shading="nearest")
    for k in range(len(names)):
        mask = (labels == k).astype(float)
        if 0 < mask.sum() < mask.size:
            ax.contour(xs, ys, mask, levels=[0.5], colors="black", linewidths=1.0)
    for r in table.points:
        hollow = r.censored > 0
        ax.scatter([r.x], [r.y], s=42, marker="o" if r.phase in colour else "x", zorder=3, linewidths=1.4,
                   facecolors="white" if hollow else colour[r.phase], edgecolors=colour[r.phase])
    ax.set_xscale("log" if setup.x.scale == "log" else "linear")
    ax.set_yscale("log" if setup.y.scale == "log" else "linear")
    ax.set_xlim(*_padded(setup.x))
    ax.set_ylim(*_padded(setup.y))
    ax.set_xlabel(setup.x.path)
    ax.set_ylabel(setup.y.path)
    counts = {n: sum(r.phase == n for r in table.points) for n in names}
    ax.set_title(f"{len(table.points)} points, {len(table.member_phase)} members", fontsize=10)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=colour[n],
                      markeredgecolor=colour[n], label=f"{n} ({counts[n]})") for n in names]
    handles += [Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor="white",
                       markeredgecolor=figures.INK, label="hollow: a clock censored"),
                Line2D([], [], color="black", linewidth=1.0, label="estimated boundary")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    figures.grid(ax)
    return figures.png_bytes(fig)
