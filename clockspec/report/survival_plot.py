"""`survival_<clock>.png`: per clock, the fraction of runs in each arm whose clock has not yet
fired against the step (the Kaplan-Meier curve, a step function), its 95% band shaded, and a
tick where a run was censored (it ended, or stopped, without the clock firing)."""
from __future__ import annotations

import re
from typing import Any

from clockspec.report import figures
from clockspec.report.survival import LEVEL, ArmClock, Survival


def figure_name(clock: str) -> str:
    """A file name for the clock's figure: the name with anything but letters, digits, `_` and `-` as `_`."""
    return f"survival_{re.sub(r'[^A-Za-z0-9_-]+', '_', clock).strip('_') or 'clock'}.png"


def plot_survival(survival: Survival, clock: str, family: str) -> bytes:
    """One clock's curves, one per arm, as PNG bytes."""
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    arms = survival.estimates[clock]
    rows = (len(arms) + 1) // 2  # legend rows, two arms a row, below the axes
    height = 3.6 + 0.22 * rows
    fig = figures.new_figure(8.0, height, dpi=100)
    ax = fig.subplots()
    for e, colour in zip(arms, figures.colours(len(arms))):
        _arm(ax, e, colour)
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlim(0, 1.03 * max((max(e.times) for e in arms if e.times), default=1))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_xlabel("step")
    ax.set_ylabel(f"runs where '{clock}' has not fired")
    ax.set_title(f"family {family}: clock '{clock}' (Kaplan-Meier, {LEVEL:.0%} band; | = censored)",
                 fontsize=9, loc="left")
    figures.grid(ax)
    fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="lower center", ncol=2, frameon=False)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=(0.75 + 0.22 * rows) / height, top=1 - 0.35 / height)
    return figures.png_bytes(fig)


def _arm(ax: Any, e: ArmClock, colour: str) -> None:
    if not e.curve:
        return
    end = max(e.times)
    steps = [t for t, *_ in e.curve] + [end]
    surv = [s for _, s, *_ in e.curve]
    surv.append(surv[-1])
    median = f"median {e.median:,.0f}" if e.median is not None else "median not reached"
    ax.step(steps, surv, where="post", color=colour, lw=1.6,
            label=f"{e.arm}: {median}, {e.censored}/{e.n} censored")
    ax.fill_between(steps, [lo for *_, lo, _ in e.curve] + [e.curve[-1][2]],
                    [hi for *_, hi in e.curve] + [e.curve[-1][3]], step="post", color=colour, alpha=0.12, lw=0)
    censored = [t for t, f in zip(e.times, e.fired) if not f]
    ax.plot(censored, [_at(e, t) for t in censored], "|", color=colour, ms=12, mew=1.8, ls="")


def _at(e: ArmClock, step: float) -> float:
    """The curve's value at `step` (right-continuous: the value after any drop at that step)."""
    return [s for t, s, *_ in e.curve if t <= step][-1]
