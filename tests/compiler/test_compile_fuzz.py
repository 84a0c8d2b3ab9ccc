"""Any valid experiment compiles to a Plan or a positioned SpecError, never anything else."""
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import clockspec
from clockspec.ir.metrics import METRIC_NAMES

TASKS = st.one_of(
    st.fixed_dictionaries({"kind": st.just("modular"), "modulus": st.integers(2, 4096),
                           "train_fraction": st.floats(0.01, 0.99)}),
    st.fixed_dictionaries({"kind": st.just("teacher"), "inputs": st.integers(2, 64), "classes": st.integers(2, 64),
                           "rank": st.just(2), "train_size": st.integers(1, 10_000)}),
)
WIDTHS = st.lists(st.integers(1, 65536), min_size=1, max_size=4)
MODELS = st.one_of(
    st.fixed_dictionaries({"kind": st.just("deep_linear"), "depth": st.integers(2, 64), "width": st.integers(1, 65536)}),
    st.fixed_dictionaries({"kind": st.just("mlp"), "hidden": WIDTHS,
                           "activation": st.sampled_from(["relu", "gelu", "linear"])}),
    st.fixed_dictionaries({"kind": st.just("embed_mlp"), "embed_dim": st.integers(1, 4096), "hidden": WIDTHS}),
)
CLOCK = st.builds(lambda kind, m, x, n: (f"first {m} <= {x} for {n} steps" if kind else f"settle {m} within {x}%"),
                  st.booleans(), st.sampled_from(METRIC_NAMES), st.floats(0.001, 10), st.integers(0, 10**6))
SPECS = st.fixed_dictionaries({
    "name": st.just("fuzz"),
    "device": st.sampled_from(["auto", "cpu", "mps", "cuda:1"]),
    "task": TASKS,
    "model": MODELS,
    "regularizers": st.fixed_dictionaries({}, optional={
        "weight_decay": st.fixed_dictionaries({"strength": st.floats(0, 10)},
                                              optional={"per_layer": st.lists(st.floats(0, 1), max_size=5)}),
        "schatten": st.fixed_dictionaries({"strength": st.floats(0, 1)})}),
    "optimizer": st.fixed_dictionaries({"kind": st.sampled_from(["sgd", "adam", "adamw"]),
                                        "schedule": st.sampled_from(["constant", "cosine"])}),
    "train": st.fixed_dictionaries({"steps": st.integers(1, 10**6), "dtype": st.sampled_from(["float32", "float64"]),
                                    "batch": st.one_of(st.just("full"), st.integers(1, 10**4))}),
    "probes": st.one_of(st.fixed_dictionaries({"every": st.integers(1, 10**5)}),
                        st.fixed_dictionaries({"schedule": st.just("log"), "points": st.integers(2, 500)})),
    "clocks": st.dictionaries(st.sampled_from(["a", "b", "c"]), CLOCK, max_size=3),
})


@settings(max_examples=150, deadline=None)
@given(SPECS)
def test_valid_specs_compile_or_fail_with_positions(data):
    try:
        spec = clockspec.loads(yaml.safe_dump(data), file="fuzz.yaml")
    except clockspec.SpecError:
        return
    try:
        plan = spec.compile()
    except clockspec.SpecError as exc:
        assert exc.diagnostics and all(d.file == "fuzz.yaml" and d.line >= 1 and d.col >= 1 for d in exc.diagnostics)
        return
    assert plan.nodes["train"].inputs == ("split", "init", "objective", "optimizer")
    assert plan.probe_steps()[0] == 0 and plan.probe_steps()[-1] == spec.train.steps
    assert len(plan.probe_steps()) == plan.derived["n_probes"]
