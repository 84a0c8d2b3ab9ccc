"""The impact table: for single-field edits, exactly which plan nodes change hash.

A node "changes" when its hash differs or it exists in only one of the two plans. DOWN is
the train node and everything downstream of it (probes, clocks, report).
"""
import pytest

BASE_PROBES = {f"probe:{m}" for m in ("train_loss", "test_loss", "train_acc", "test_acc", "margin", "weight_norm")}
CLOCKS = {"clock:fit", "clock:generalize", "clock:simplify"}
DOWN = {"train", "report"} | BASE_PROBES | CLOCKS

IMPACT = [
    # (dotted path, new value, nodes whose hash changes)
    ("clocks.fit", "first train_loss <= 1e-3", {"clock:fit", "report"}),
    ("clocks.simplify", "settle weight_norm within 2%", {"clock:simplify", "report"}),
    ("clocks.generalize", "first test_acc >= 0.95", DOWN),  # the stop rule waits for it
    ("clocks.fit", None, {"clock:fit", "report"}),
    ("clocks.late", "first test_loss <= 0.1", {"clock:late", "report"}),  # test_loss is recorded anyway
    ("clocks.rank", "first effective_rank <= 3", DOWN | {"probe:effective_rank", "clock:rank"}),
    ("regularizers.weight_decay.strength", 0.5, {"objective"} | DOWN),
    ("regularizers.weight_decay.decoupled", False, {"objective"} | DOWN),
    ("regularizers.weight_decay", None, {"objective"} | DOWN),
    ("train.loss", "mse", {"objective"} | DOWN),
    ("seed", 1, {"init"} | DOWN),
    ("task.split_seed", 1, {"split"} | DOWN),
    ("task.train_fraction", 0.5, {"split"} | DOWN),
    ("task.op", "sub", {"data", "split"} | DOWN),
    ("task.modulus", 113, {"data", "split", "model", "init"} | DOWN),
    ("model.hidden", [512], {"model", "init"} | DOWN),
    ("model.init_scale", 0.5, {"init"} | DOWN),
    ("optimizer.lr", 3e-3, {"optimizer"} | DOWN),
    ("optimizer.schedule", "cosine", {"optimizer"} | DOWN),
    ("train.steps", 20000, DOWN),
    ("train.dtype", "float64", DOWN),
    ("train.batch", 512, DOWN),
    ("device", "cpu", DOWN),
    ("probes.every", 100, DOWN),
    ("probes.metrics", ["grad_ratio"], DOWN | {"probe:grad_ratio"}),
    ("probes.flip_band", 1e-5, set()),  # pattern_flips is not recorded: the option is moot
    ("probes.fourier_top_k", 8, set()),
    ("stop.patience", 0, DOWN),
    ("stop", None, DOWN),
    ("name", "renamed", {"report"}),
    ("description", "the classic grokking run", {"report"}),
    ("tags", ["grokking"], {"report"}),
    # Spelling out a default, or a no-op, changes nothing.
    ("optimizer.eps", 1e-8, set()),
    ("task.split_seed", 0, set()),
    ("model.combine", "concat", set()),
    ("probes.schedule", "every", set()),
    ("probes.points", 7, set()),  # only read by the log schedule
]


def changed(tools, base: dict, path: str, value) -> set:
    a, b = tools.hashes(base), tools.hashes(tools.edited(base, path, value))
    return {n for n in a.keys() | b.keys() if a.get(n) != b.get(n)}


@pytest.mark.parametrize("path,value,expected", IMPACT, ids=[f"{p}={v}" for p, v, _ in IMPACT])
def test_single_edit_changes_exactly(spec_tools, grokking, path, value, expected):
    assert changed(spec_tools, grokking, path, value) == expected


DL_DOWN = {"train", "report", "clock:fit", "clock:simplify"} | BASE_PROBES | {"probe:schatten", "probe:balance"}


@pytest.mark.parametrize("path,value,expected", [
    ("model.depth", 4, {"model", "init"} | DL_DOWN),
    ("probes.schatten_q", 0.5, DL_DOWN),
    ("optimizer.momentum", 0.9, {"optimizer"} | DL_DOWN),
    ("task.data_seed", 3, {"data", "split"} | DL_DOWN),
    ("task.train_size", 512, {"split"} | DL_DOWN),
    ("regularizers.schatten", {"strength": 0.001}, {"objective"} | DL_DOWN),
])
def test_deep_linear_edits(spec_tools, deep_linear, path, value, expected):
    assert changed(spec_tools, deep_linear, path, value) == expected


def test_depth_moves_an_explicit_schatten_penalty_with_q_auto(spec_tools, deep_linear):
    base = spec_tools.edited(deep_linear, "regularizers.schatten", {"strength": 0.001})
    assert changed(spec_tools, base, "model.depth", 4) == {"model", "init", "objective"} | DL_DOWN
    fixed_q = spec_tools.edited(base, "regularizers.schatten", {"strength": 0.001, "q": 0.5})
    assert "objective" not in changed(spec_tools, fixed_q, "model.depth", 4)


def test_pattern_clock_makes_flip_band_matter(spec_tools, grokking):
    base = spec_tools.edited(grokking, "clocks.freeze", "first pattern_flips <= 1e-3 for 500 steps")
    assert changed(spec_tools, base, "probes.flip_band", 1e-5) == DOWN | {"probe:pattern_flips", "clock:freeze"}
