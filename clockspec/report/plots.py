"""`clock_curves.png`: the two clock curves with their fits, and the energy's late tail."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from clockspec.core.fileio import write_atomic
from clockspec.report.analyze import RunAnalysis
from clockspec.report.curves import ClockCurve
from clockspec.report.figures import FAINT, TAB10, colours, new_figure, png_bytes
from clockspec.report.fits import ScalingFit, TailFit
from clockspec.report.rows import Rows, series


def plot_clock_curves(analysis: RunAnalysis, rows: Rows, path: str | Path) -> Path:
    fig = new_figure(15, 4.4)
    axes = fig.subplots(1, 3)
    fit_title = "fitting clock: " + ("first train_loss <= eps" if analysis.fit_form == "first"
                                     else "settle train_loss within eps (floor)")
    _curve(axes[0], analysis.fit_curve, analysis.fit_scaling, analysis, "fit", fit_title, "eps")
    _curve(axes[1], analysis.simplify_curve, analysis.simplify_scaling, analysis, "simplify",
           f"simplification clock: settle {analysis.energy} within delta", "delta")
    _tail(axes[2], analysis, rows)
    fig.suptitle(f"{analysis.name}: clock curves (log axes; hollow triangles = censored, tau > last step)", fontsize=10)
    return _save(fig, path)


def _curve(ax, curve: ClockCurve | None, fit: ScalingFit | None, a: RunAnalysis, role: str, title: str, sym: str) -> None:
    ax.set_title(title, fontsize=9)
    if curve is None or not curve.points:
        ax.text(0.5, 0.5, "no curve: " + (curve.grid_note if curve else "metric not recorded"),
                ha="center", va="center", transform=ax.transAxes, fontsize=8, wrap=True)
        return
    start = fit.from_step if fit is not None else 0
    end = fit.until_step if fit is not None and fit.until_step is not None else curve.last_step
    reached = [p for p in curve.points if p.reached and max(start, 1) <= p.step <= end]
    before = [p for p in curve.points if p.reached and p.step > 0 and not start <= p.step <= end]
    at_zero = sum(1 for p in curve.points if p.reached and p.step == 0)
    ax.plot([p.threshold for p in reached], [p.step for p in reached], "o", color=TAB10[0], ms=4,
            label=f"tau({sym})" + (f" ({at_zero} at step 0 not drawn)" if at_zero else ""))
    if before:
        ax.plot([p.threshold for p in before], [p.step for p in before], "o", mfc="none", color="0.5", ms=4,
                label=f"outside steps {start}-{end}: not fitted")
    if curve.censored:
        ax.plot([p.threshold for p in curve.censored], [curve.last_step] * len(curve.censored), "^",
                mfc="none", color=TAB10[3], label=f"censored: > {curve.last_step}")
    if fit is not None and fit.log is not None and reached:
        thr = np.geomspace(min(p.threshold for p in reached), max(p.threshold for p in reached), 100)
        x = np.log(1 / thr)
        log_tau = fit.log.intercept + fit.log.slope * x
        ok = log_tau > 0
        ax.plot(thr[ok], log_tau[ok], "--", color=TAB10[1], label=f"a + b log(1/{sym}): R² {fit.log.r2:.3f}")
        ax.plot(thr, np.exp(fit.power.intercept + fit.power.slope * x), ":", color=TAB10[2],
                label=f"power, alpha {fit.power.slope:.2f}: R² {fit.power.r2:.3f}")
    name = a.roles.get(role)
    if name in a.thresholds and a.thresholds[name][0] == curve.form and a.clocks[name].metric == curve.metric:
        res, thr = a.clocks[name], a.thresholds[name][1]
        if res.reached and res.step > 0:
            ax.plot([thr], [res.step], "*", color="k", ms=11, label=f"spec clock '{name}'")
        elif not res.reached:
            ax.plot([thr], [curve.last_step], "^", color="k", ms=9, label=f"spec clock '{name}': censored")
    _log_axes(ax)
    ax.invert_xaxis()
    ax.set_xlabel(f"{sym} (harder to the right)")
    ax.set_ylabel("step")
    ax.legend(fontsize=7)


def _tail(ax, a: RunAnalysis, rows: Rows) -> None:
    metric = a.energy
    ax.set_title(f"late tail: |{metric} - final|" if metric else "late tail", fontsize=9)
    if metric is None:
        return
    steps, values = series(rows, metric)
    gap = np.abs(values - values[-1])
    keep = (steps > 0) & (gap > 0)
    ax.plot(steps[keep], gap[keep], ".", color=TAB10[0], ms=3, label=f"|{metric}(t) - {metric}(T)|")
    tail: TailFit | None = a.tails.get(metric)
    if tail is not None and tail.beta is not None:
        t = np.geomspace(tail.start, tail.end, 50)
        sel = (steps >= tail.start) & (steps <= tail.end) & keep
        anchor_t, anchor_g = steps[sel].astype(float), gap[sel]
        c_pow = float(np.mean(np.log(anchor_g + tail.limit_shift) + tail.beta * np.log(anchor_t)))
        c_exp = float(np.mean(np.log(anchor_g) + tail.rate * anchor_t))
        ax.plot(t, np.exp(c_pow - tail.beta * np.log(t)) - tail.limit_shift, "--", color=TAB10[2],
                label=f"t^-beta, beta {tail.beta:.3g}: R² {tail.r2_power:.3f}")
        ax.plot(t, np.exp(c_exp - tail.rate * t), ":", color=TAB10[1],
                label=f"exp(-r t), r {tail.rate:.3g}/step: R² {tail.r2_exp:.3f}")
    for i, (_role, name) in enumerate(sorted(a.roles.items())):
        res = a.clocks.get(name)
        if res is not None and res.reached and res.step:
            ax.axvline(res.step, color=TAB10[(4 + i) % 10], lw=0.8, label=f"{name} @ {res.step}")
    _log_axes(ax)
    ax.set_xlabel("step")
    ax.legend(fontsize=7)


def plot_family_curves(members: list[tuple[str, RunAnalysis]], path: str | Path) -> Path:
    """Every member's two clock curves overlaid (censored points as hollow triangles), a colour
    each however many there are, the legend beside the panels rather than over the data."""
    fig = new_figure(13.5, 4.8)
    axes = fig.subplots(1, 2)
    drawn = [False, False]
    for (label, a), color in zip(members, colours(len(members))):
        for i, (ax, curve) in enumerate(zip(axes, (a.fit_curve, a.simplify_curve))):
            if curve is None:
                continue
            pts = [p for p in curve.points if p.reached and p.step > 0]
            ax.plot([p.threshold for p in pts], [p.step for p in pts], "o-", ms=3, lw=1, color=color, label=label)
            if curve.censored:
                ax.plot([p.threshold for p in curve.censored], [curve.last_step] * len(curve.censored), "^",
                        mfc="none", color=color)
            drawn[i] = drawn[i] or bool(pts or curve.censored)
    for ax, title, done in zip(axes, ("fitting clock tau(eps)", "simplification clock tau(delta)"), drawn):
        ax.set_title(title, fontsize=9)
        if not done:
            ax.text(0.5, 0.5, "no curve in any member", ha="center", va="center", transform=ax.transAxes,
                    fontsize=9, color=FAINT)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        _log_axes(ax)
        ax.invert_xaxis()
        ax.set_xlabel("threshold (harder to the right)")
        ax.set_ylabel("step")
    handles, labels = next((ax.get_legend_handles_labels() for ax, done in zip(axes, drawn) if done), ([], []))
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.79, 0.5), fontsize=7, frameon=False,
               ncol=1 if len(labels) <= 20 else 2)
    fig.subplots_adjust(left=0.06, right=0.78, wspace=0.25, bottom=0.12, top=0.92)
    write_atomic(path, png_bytes(fig, dpi=90))
    return Path(path)


def _log_axes(ax) -> None:
    """Both axes logarithmic, labelled at 1-2-5 of each decade over a short span (two labels
    a panel say nothing) and at whole decades over a long one (1-2-5 labels would collide)."""
    from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation, LogLocator, NullLocator

    _log_axes(ax)
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        decades = abs(np.log10(limits[1] / limits[0])) if min(limits) > 0 else 0.0
        subs = (1.0, 2.0, 5.0) if decades <= 3 else (1.0,)
        axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=12 if decades <= 3 else 8))
        axis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(np.inf, np.inf)))
        axis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))  # steps as numbers, not powers
    ax.tick_params(labelsize=7)


def _log_axes(ax) -> None:
    """Log axes where there is something positive to draw on them; else a note (a short run's
    two probe rows leave no positive gap, and log axes on no data cannot be drawn)."""
    drawn = [(np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)) for line in ax.lines]
    if not any(np.any((x > 0) & (y > 0)) for x, y in drawn if x.shape == y.shape):
        ax.text(0.5, 0.5, "nothing to draw on log axes (too few probe rows)", ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
        return
    ax.set_xscale("log")
    ax.set_yscale("log")


def _save(fig, path) -> Path:
    """Write the figure as a PNG atomically (a reader never sees half of it)."""
    fig.tight_layout()
    write_atomic(path, png_bytes(fig, dpi=90))
    return Path(path)
