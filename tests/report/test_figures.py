"""The figures' layout, measured on the figure objects: what a reader would otherwise find
wrong by looking (colliding labels, an empty slot, repeated colours, a censored value joined)."""
import io
import math
from pathlib import Path

import numpy as np

import clockspec
from clockspec.clocks import evaluate_clocks
from clockspec.report import figures
from clockspec.report.family_plot import _draw, plot_clocks, separation_pair
from clockspec.report.family_table import FamilyReport, Point, Row, series
from clockspec.report.run_figure import curves_figure, power_of_ten, short_step
from shipped import SPECS_DIR


def test_colours_never_repeat_however_many_lines():
    for n in (3, 10, 12, 20, 37):
        assert len(set(figures.colours(n))) == n
    assert figures.colours(2) == list(figures.SERIES[:2])  # the house colours first


def test_a_censored_median_breaks_the_median_line():
    fig = figures.new_figure(4, 3)
    ax = fig.subplots()
    pts = [Point(0.3, 4000, 3900, 6000, False, 3, 1), Point(1.0, 6000, 6000, 6000, True, 3, 3),
           Point(3.0, 900, 850, 1000, False, 3, 0)]
    _draw(ax, pts, {0.3: 0.3, 1.0: 1.0, 3.0: 3.0}, "#000")
    line = ax.lines[0].get_ydata()
    assert line[0] == 4000 and math.isnan(line[1]) and line[2] == 900


def test_the_separation_panel_pairs_the_fitting_and_the_generalisation_clock():
    assert separation_pair(["fit", "memorize", "generalize", "simplify"]) == ("fit", "generalize")
    assert separation_pair(["fit", "simplify"]) is None


def _rows(spec):
    plan = clockspec.compile(spec)
    steps = sorted({0} | {int(s) for s in np.geomspace(1, spec.train.steps, 200)})
    return [{"step": t, **{m: 0.5 + 0.4 * math.exp(-t / 500) for m in plan.metrics}} for t in steps]


def _overlaps(labels):
    boxes = sorted((b.x0, b.x1) for b in (t.get_window_extent() for t in labels if t.get_visible() and t.get_text()))
    return [(a, b) for a, b in zip(boxes, boxes[1:]) if b[0] < a[1]]


def _figure(name):
    spec = clockspec.load(SPECS_DIR / name)
    rows = _rows(spec)
    fig = curves_figure(rows, spec, evaluate_clocks(spec.clocks, rows), "complete")
    figures.draw(fig)  # as png_bytes draws it: the layout measured is the one written
    return spec, fig, [ax for ax in fig.axes if ax.get_visible()]


def test_run_figure_step_labels_do_not_collide_in_a_half_width_panel():
    _, _, axes = _figure("quickstart.yaml")  # eight panels, each half the width
    labelled = [ax for ax in axes if any(t.get_text() for t in ax.xaxis.get_ticklabels())]
    assert len(labelled) == len(axes) == 8  # every panel says its steps, not only the bottom row
    assert [ax.get_xlabel() for ax in axes].count("step (log scale)") == 2  # the name under each column
    for ax in labelled:
        assert _overlaps(ax.xaxis.get_ticklabels()) == []


def test_run_figure_has_no_empty_slot_and_gives_units_and_chance():
    spec, fig, axes = _figure("deep_linear.yaml")
    assert len(axes) == len(fig.axes) == 7  # an odd last panel spans its row: no hidden slot
    assert axes[-1].get_subplotspec().colspan == range(0, 2)
    for ax in axes:
        assert ax.get_ylabel()
        assert _overlaps(ax.xaxis.get_ticklabels()) == []
    assert len([t for t in axes[-1].xaxis.get_ticklabels() if t.get_text()]) >= 5  # the steps are labelled
    accuracy = next(ax for ax in axes if ax.get_title(loc="left") == "accuracy")
    chance = [ln for ln in accuracy.lines if ln.get_label().startswith("chance")]
    assert chance and chance[0].get_ydata()[0] == 1 / spec.task.sizes()["output_dim"]
    assert axes[0].get_ylabel() == "cross-entropy (nats)"


def test_steps_on_ticks_are_short():
    assert [short_step(x) for x in (3, 500, 1000, 20000, 1.5e6)] == ["3", "500", "1k", "20k", "1.5M"]


def test_decade_ticks_read_as_powers_of_ten():
    assert [power_of_ten(y) for y in (1e-6, 0.1, 1.0, 10.0, 1e12)] == ["10⁻⁶", "10⁻¹", "10⁰", "10¹", "10¹²"]


def test_every_axis_makes_only_the_ticks_it_shows():
    _, fig, axes = _figure("quickstart.yaml")
    for axis in [ax.xaxis for ax in axes] + [ax.yaxis for ax in axes]:
        lo, hi = sorted(axis.get_view_interval())
        locs = axis.get_majorticklocs()
        assert len(locs) >= 2 and all(lo <= t <= hi for t in locs), (axis.axes.get_title(loc="left"), locs, lo, hi)
        assert len(axis.get_major_ticks()) == len(locs)


def test_each_panel_draws_every_fired_clock_at_its_step_in_its_colour():
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    spec, fig, axes = _figure("quickstart.yaml")
    legend = {t.get_text().split(":")[0]: h.get_color() for h, t in zip(fig.legends[0].legend_handles, fig.legends[0].texts)}
    rows = _rows(spec)
    fired = {n: r.step for n, r in evaluate_clocks(spec.clocks, rows).items() if r.reached and r.step}
    assert fired
    for ax in axes:
        (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        assert [seg[0][0] for seg in lines.get_segments()] == list(fired.values())
        assert [tuple(c) for c in lines.get_colors()] == [to_rgba(legend[n], 0.9) for n in fired]


def test_a_figure_is_written_as_an_opaque_png_of_its_size():
    from io import BytesIO

    from PIL import Image

    fig = figures.new_figure(3, 2, dpi=50)
    fig.subplots().plot([0, 1], [1, 0])
    image = Image.open(BytesIO(figures.png_bytes(fig)))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (150, 100))
    assert Image.open(BytesIO(figures.png_bytes(fig, dpi=100))).size == (300, 200)


def test_a_log_panel_labels_the_range_of_all_its_lines():
    """Train loss falls decades below a test loss that stays within one: the panel's ticks
    span both lines (they were chosen for the test line alone, leaving the train line bare)."""
    spec = clockspec.load(SPECS_DIR / "quickstart.yaml")
    rows = [{"step": t, "train_loss": 3.0 * 10 ** (-t / 250), "test_loss": 3.0 + t / 200, "train_acc": 0.5,
             "test_acc": 0.1} for t in range(0, 1001, 10)]
    fig = curves_figure(rows, spec, evaluate_clocks(spec.clocks, rows), "complete")
    figures.draw(fig)
    loss = fig.axes[0]
    labels = [t.get_text() for t in loss.yaxis.get_ticklabels()]
    assert labels == ["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹"], labels  # 3e-4 to 8


def test_a_paired_panels_legend_sits_on_its_title_line_clear_of_title_and_data():
    """Train / test (and chance) above the panel at its right: no search for a free corner
    (matplotlib's `best` was a tenth of the figure), and no line can run under it."""
    from matplotlib.text import Text

    _, fig, axes = _figure("quickstart.yaml")
    paired = [ax for ax in axes if ax.get_legend() is not None]
    assert [ax.get_title(loc="left") for ax in paired] == ["loss", "accuracy"]
    for ax in paired:
        (title,) = [t.get_window_extent() for t in ax.get_children()
                    if isinstance(t, Text) and t.get_text() == ax.get_title(loc="left")]
        legend, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert legend.y0 >= box.y1 - 1 and legend.x1 <= box.x1 + 1  # above the data, within the panel's width
        assert legend.x0 > title.x1  # beside the title, not on it
    accuracy = paired[1].get_legend()
    assert [t.get_text() for t in accuracy.texts] == ["train", "test", "chance (1/53)"]


def _wd_family(clocks: list[str]) -> FamilyReport:
    """Two seeds at four weight decays; at wd 0.1 seed 0 generalises at step 2,000, seed 1 never (by 3,000)."""
    rows = []
    for wd in (0.1, 0.3, 1.0, 3.0):
        for seed in (0, 1):
            cl = {c: {"step": int(100 * (i + 1) / wd), "reached": True} for i, c in enumerate(clocks)}
            if wd == 0.1 and seed == 1:
                cl["generalize"] = {"step": None, "reached": False}
            rows.append(Row(f"m{wd}-{seed}", f"wd={wd},seed={seed}", {"wd": wd, "seed": seed}, "complete", 3000, cl))
    return FamilyReport(Path("."), "demo", ["wd", "seed"], {"wd": "wd", "seed": "seed"}, clocks, rows)


def test_a_censored_median_sits_at_a_censoring_step_never_at_a_step_a_seed_observed():
    (points,) = series(_wd_family(["fit", "generalize"]), "wd", "generalize").values()
    first = next(p for p in points if p.x == 0.1)
    assert first.censored and first.median == 3000  # not 2,000, where seed 0 fired


def test_one_varied_axis_wraps_the_clocks_panels_instead_of_one_tall_column():
    from PIL import Image

    png = plot_clocks(_wd_family(["fit", "generalize", "memorize", "half", "settle"]))  # six panels
    width, height = Image.open(io.BytesIO(png)).size
    assert width > height  # three columns of two rows, not 600 x 1810


def test_a_plans_wrapped_row_is_offset_from_the_row_it_continues():
    from clockspec.report.plan_figure import rows, wrapped

    plan = clockspec.load(SPECS_DIR / "quickstart.yaml").compile()
    row = rows(plan)
    shifted = wrapped(plan, row)
    probes = sorted({row[n] for n in plan.nodes if n.startswith("probe:")})
    assert len(probes) == 2 and shifted == {probes[1]}  # the second row of probes, not the first nor the clocks'


def test_compare_names_each_clock_once_and_its_labels_do_not_touch():
    from clockspec.report.compare_figure import _name_clocks

    fig = figures.new_figure(6.4, 3.0)
    ax = fig.subplots()
    ax.set_xscale("log")
    ax.set_xlim(50, 5000)
    runs = [({"fit": 1200, "generalize": 2400, "memorize": 1300}, "#1f77b4"),
            ({"fit": 1250, "generalize": 2500, "memorize": 1320}, "#d62728")]
    _name_clocks(ax, runs, log_x=True)
    figures.draw(fig)
    labels = [t for t in ax.texts if t.get_text()]
    assert sorted(t.get_text() for t in labels) == ["fit", "generalize", "memorize"]  # a shared name said once
    assert _overlaps(labels) == []
