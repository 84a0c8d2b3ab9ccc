"""Every compiler pass reports its problems with file:line:col, all of them at once."""
import pytest

import clockspec
from clockspec.compiler.passes import PASSES, parse_bytes

BASE = """\
name: probe
task: {kind: modular, modulus: 23}
model: {kind: embed_mlp, embed_dim: 16, hidden: [32]}
train: {steps: 1000}
probes: {every: 10}
"""


def errors(text: str, **options):
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.compile(clockspec.loads(text, file="x.yaml"), **options)
    return [(d.file, d.line, d.col, d.message, d.hint) for d in info.value.diagnostics]


def warnings(text: str):
    return [(d.line, d.col, d.message) for d in clockspec.compile(clockspec.loads(text, file="x.yaml")).diagnostics]


def test_the_base_spec_compiles_cleanly():
    assert clockspec.compile(clockspec.loads(BASE)).diagnostics == []


def test_metrics_the_model_cannot_produce_all_reported_at_their_place():
    text = BASE + "probes: {every: 10, metrics: [weight_norm, schatten]}\nclocks:\n  bal: first balance <= 0.1\n"
    text = text.replace("probes: {every: 10}\n", "")
    got = errors(text)
    assert got == [
        ("x.yaml", 5, 44, "metric 'schatten' cannot be measured here: needs a deep_linear model (an end-to-end map), "
         "not embed_mlp", None),
        ("x.yaml", 7, 14, "clock 'bal' watches 'balance', which cannot be measured here: needs a deep_linear model "
         "(an end-to-end map), not embed_mlp", None),
    ]


@pytest.mark.parametrize("model,task,metric,reason", [
    ("{kind: mlp, activation: gelu}", "{kind: modular, modulus: 23}", "pattern_flips", "needs a ReLU model, not mlp with gelu"),
    ("{kind: deep_linear}", "{kind: teacher}", "fourier_sparsity", "needs a modular, group or addition task, not teacher"),
    ("{kind: mlp}", "{kind: teacher}", "grad_ratio", "needs an embed_mlp or transformer model (embedding + head), not mlp"),
])
def test_metric_requirements(model, task, metric, reason):
    text = BASE.replace("{kind: embed_mlp, embed_dim: 16, hidden: [32]}", model).replace(
        "{kind: modular, modulus: 23}", task) + f"clocks:\n  c: first {metric} <= 0.1\n"
    (diag,) = errors(text)
    assert diag[1:4] == (7, 12, f"clock 'c' watches '{metric}', which cannot be measured here: {reason}")


def test_embedding_model_needs_tokens():
    (diag,) = errors(BASE.replace("{kind: modular, modulus: 23}", "{kind: teacher}"))
    assert diag[1:4] == (3, 15, "embed_mlp embeds tokens, but a teacher task has real-valued inputs")


def test_clock_graph_problems_of_a_spec_built_in_code():
    spec = clockspec.loads(BASE + "clocks:\n  a: first test_acc >= 0.9\n")
    bad = spec.model_copy(update={"stop": clockspec.ir.spec.Stop(after=["b"])})  # bypasses the loader's checks
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.compile(bad)
    (diag,) = info.value.diagnostics
    assert (diag.file, diag.line, diag.col) == ("<experiment probe>", 1, 1)
    assert diag.message == "stop.after.0: stop.after names unknown clock 'b'"


def test_a_source_passed_explicitly_positions_a_copied_spec():
    from clockspec.syntax.loading import parse

    text = BASE + "clocks:\n  c: first balance <= 0.1\n"
    doc = parse(text, "given.yaml", "yaml")
    copy = clockspec.loads(BASE).model_copy(update={"clocks": clockspec.loads(text).clocks})
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.compile(copy, source=doc)
    assert [(d.file, d.line, d.col) for d in info.value.diagnostics] == [("given.yaml", 7, 12)]


def test_probe_schedule_that_never_fires():
    (diag,) = errors(BASE.replace("every: 10", "every: 5000"))
    assert diag[1:4] == (5, 17, "probes every 5000 steps never fire within train.steps = 1000: only step 0 and "
                                "the final step would be measured")
    assert diag[4] == "use probes.every <= 100 for about ten probes"


def test_log_schedule_with_more_points_than_steps_warns():
    text = BASE.replace("train: {steps: 1000}", "train: {steps: 20}").replace("every: 10", "schedule: log, points: 50")
    assert warnings(text) == [(5, 33, "a log schedule of 50 points over 20 steps has only 21 distinct steps")]


def test_clock_needing_more_steps_than_the_run_points_at_for():
    (diag,) = errors(BASE + "clocks:\n  c: first test_acc >= 0.9 for 2000 steps\n")
    assert diag[1:4] == (7, 28, "clock 'c' needs 2000 steps of evidence but the run has train.steps = 1000")


def test_settle_clock_with_no_run_length_to_settle_in():
    text = BASE + ("clocks:\n  gen: first test_acc >= 0.99\n  simp: settle weight_norm within 1% after gen\n"
                   "stop: {after: [gen]}\n")
    (diag,) = errors(text)
    assert diag[1:4] == (8, 9, "settle clock 'simp' starts after 'gen', but the run stops 0 steps after gen fired: "
                               "no run length to settle in")
    assert "stop.patience >= 10" in diag[4]
    assert clockspec.compile(clockspec.loads(text.replace("after: [gen]", "after: [gen], patience: 500")))


def test_settle_clock_needs_three_probes():
    text = BASE.replace("every: 10", "every: 1000") + "clocks:\n  s: settle weight_norm within 1%\n"
    (diag,) = errors(text)
    assert diag[1:4] == (7, 6, "settle clock 's' needs at least 3 probes to judge settling; the schedule has 2")


def test_mps_cannot_do_float64():
    text = BASE.replace("train: {steps: 1000}", "device: mps\ntrain: {steps: 1000, dtype: float64}")
    (diag,) = errors(text)
    assert diag[1:4] == (5, 29, "device mps has no float64 support")


def test_per_layer_weight_decay_must_match_the_layers():
    text = BASE + "regularizers:\n  weight_decay: {per_layer: [1.0, 1.0]}\n"
    (diag,) = errors(text)
    assert diag[1:4] == (7, 29, "per_layer has 2 strengths but the model has 3 weight layers (embed, hidden.0, head)")


def test_schatten_regularizer_needs_an_end_to_end_map():
    (diag,) = errors(BASE + "regularizers:\n  schatten: {strength: 0.1}\n")
    assert diag[1:4] == (7, 13, "the schatten regularizer needs a deep_linear model (an end-to-end map), not embed_mlp")


def test_size_that_cannot_fit_names_the_estimate_at_the_field_to_shrink():
    text = BASE.replace("hidden: [32]", "hidden: [25000, 25000]")
    (diag,) = errors(text)
    line = text.splitlines()[2]
    assert diag[1:3] in ((3, line.index("25000") + 1), (3, line.rindex("25000") + 1))  # the 25000 x 25000 layer
    assert diag[3].startswith("estimated peak memory ") and "626,425,391 parameters" in diag[3] and "exceeds the limit of 8 GiB" in diag[3]
    assert diag[4].startswith("shrink model.hidden[")
    assert errors(BASE, memory_limit=parse_bytes("1K"))[0][3].endswith("exceeds the limit of 1024 B")


def test_memory_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLOCKSPEC_MEMORY_LIMIT", "2K")
    assert "exceeds the limit" in errors(BASE)[0][3]
    monkeypatch.setenv("CLOCKSPEC_MEMORY_LIMIT", "lots")
    with pytest.raises(clockspec.SpecError, match="CLOCKSPEC_MEMORY_LIMIT: not a size"):
        clockspec.compile(clockspec.loads(BASE))


def test_measurement_caveats_are_warnings():
    text = BASE + ("regularizers:\n  weight_decay: {strength: 1.0}\n"
                   "clocks:\n  fit: first train_loss <= 1e-4\n  freeze: first pattern_flips <= 0.001\n"
                   "stop: {after: [fit]}\n")
    got = warnings(text)
    assert [(line, col) for line, col, _ in got] == [(9, 8), (10, 11)]
    assert "floor above zero" in got[0][2] and "flip_band = 0" in got[1][2]
    assert warnings(text.replace("probes: {every: 10}", "probes: {every: 10, flip_band: 1.0e-5}"))[1:] == []


def test_the_loss_floor_is_named_only_where_a_censored_fit_clock_would_cost_something():
    # The floor's height is not in the spec: a censored clock alone is a result the report shows,
    # so the warning needs a stop that waits on the clock or clocks that run after it.
    text = BASE + "regularizers:\n  weight_decay: {strength: 1.0}\nclocks:\n  fit: first train_loss <= 1e-2\n"
    assert warnings(text) == []
    (stop,) = warnings(text + "stop: {after: [fit]}\n")
    assert "were it above 0.01, 'fit' would never fire and the run would never stop early" in stop[2]
    (after,) = warnings(text + "  gen: first test_acc >= 0.99 after fit\n")
    assert "'gen' would never start (after 'fit')" in after[2]


def test_many_problems_in_one_report():
    text = BASE.replace("every: 10", "every: 5000").replace("train: {steps: 1000}", "device: mps\ntrain: {steps: 1000, dtype: float64}")
    text += "clocks:\n  c: first balance <= 0.1 for 9999 steps\n"
    assert len(errors(text)) == 4


def test_parse_bytes():
    assert parse_bytes("8G") == parse_bytes("8GiB") == 8 * 1024**3
    assert parse_bytes("512m") == 512 * 1024**2 and parse_bytes("1000") == 1000
    with pytest.raises(ValueError):
        parse_bytes("8 apples")


def test_every_pass_is_listed_once():
    assert len(set(PASSES)) == len(PASSES) >= 9
