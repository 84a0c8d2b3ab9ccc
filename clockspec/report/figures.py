"""The one way clockspec draws: matplotlib's object API on the Agg canvas, and the house style.

No pyplot: a figure made here belongs to no global figure manager and never switches the
caller's backend, so a notebook's own plots are untouched and nothing needs closing.
matplotlib is imported on first use, so reading a report module costs nothing without it.
"""
from __future__ import annotations

import io
from typing import Any

# matplotlib's tab10, in its own order: `TAB10[i]` is the colour `f"C{i}"` names by default.
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
# The same colours as series of one figure take them: blue and red first (train / test).
SERIES = tuple(TAB10[i] for i in (0, 3, 2, 4, 1, 5, 6, 9, 7, 8))
INK, FAINT = "#444", "#777"  # legend keys that stand for every series; notes in an empty panel


def new_figure(width: float, height: float, dpi: float | None = None) -> Any:
    """A figure of `width` x `height` inches on its own Agg canvas (dpi: matplotlib's default)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def grid(ax: Any) -> None:
    """The house grid: faint lines at the major ticks."""
    ax.grid(True, which="major", alpha=0.3)


def draw(fig: Any) -> None:
    """Render the figure on its canvas in the house style: unhinted glyphs (FreeType's
    autohinter ran on every glyph of every label, a fifth of a figure's drawing time; at
    these sizes the text reads the same)."""
    from matplotlib import rc_context

    with rc_context({"text.hinting": "no_hinting"}):
        fig.canvas.draw()


def png_bytes(fig: Any, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes, at `dpi` or the figure's own. Encoded by Pillow as RGB at
    zlib level 1: the figures are opaque, and this takes half the time of matplotlib's RGBA
    at level 6 for files of the same size."""
    import numpy as np
    from PIL import Image

    if dpi is not None:
        fig.set_dpi(dpi)
    draw(fig)
    buf = io.BytesIO()
    Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3]).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def colours(n: int) -> list[str]:
    """`n` colours no two alike: the house series up to ten, else matplotlib's tab20 then
    evenly spaced hues (a cycle of ten would give an eleventh line the first one's colour)."""
    if n <= len(SERIES):
        return list(SERIES[:n])
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["tab20"] if n <= 20 else colormaps["hsv"]
    count = 20 if n <= 20 else n + 1  # hsv wraps: leave out the end that repeats the start
    return [to_hex(cmap(i / (count - 1) if n <= 20 else i / count)) for i in range(n)]
