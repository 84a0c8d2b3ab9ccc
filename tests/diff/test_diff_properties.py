"""Properties of the semantic diff over generated experiments.

Experiments are drawn as edits of a grokking base (each edit keeps the spec valid and
compilable), so pairs share most fields and differ in a few, like real revisions.
"""
from __future__ import annotations

import copy
import random

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clockspec
from clockspec.diff.changes import canonical
from clockspec.ir.spec import Experiment

BASE = {
    "name": "modadd",
    "task": {"kind": "modular", "op": "add", "modulus": 97, "train_fraction": 0.3},
    "model": {"kind": "embed_mlp", "embed_dim": 128, "hidden": [256]},
    "regularizers": {"weight_decay": {"strength": 1.0}},
    "train": {"steps": 3000},
    "probes": {"every": 50},
    "clocks": {"fit": "first train_loss <= 1e-2", "generalize": "first test_acc >= 0.99"},
}
# dotted path -> values it may take (None removes the part)
EDITS = {
    "name": st.sampled_from(["modadd", "modadd-v2"]),
    "description": st.sampled_from(["", "the classic run"]),
    "tags": st.lists(st.sampled_from(["grokking", "relu", "baseline"]), unique=True, max_size=3),
    "seed": st.integers(0, 3),
    "device": st.sampled_from(["auto", "cpu"]),
    "task.modulus": st.sampled_from([97, 113]),
    "task.op": st.sampled_from(["add", "sub"]),
    "task.train_fraction": st.sampled_from([0.3, 0.5]),
    "model.hidden": st.lists(st.sampled_from([64, 256]), min_size=1, max_size=3),
    "model.embed_dim": st.sampled_from([64, 128]),
    "model.init_scale": st.sampled_from([0.5, 1.0]),
    "regularizers.weight_decay": st.sampled_from([None, {"strength": 0.1}, {"strength": 1.0, "decoupled": False}]),
    "optimizer": st.sampled_from([{"kind": "adamw", "lr": 1e-3}, {"kind": "sgd", "lr": 0.1, "momentum": 0.9},
                                  {"kind": "adam", "betas": [0.9, 0.99]}]),
    "train.steps": st.sampled_from([2000, 3000]),
    "train.batch": st.sampled_from(["full", 512]),
    "probes.every": st.sampled_from([50, 100]),
    "probes.metrics": st.sampled_from([[], ["effective_rank"], ["grad_ratio", "effective_rank"]]),
    "clocks.fit": st.sampled_from([None, "first train_loss <= 1e-2", "settle train_loss within 5%"]),
    "clocks.generalize": st.sampled_from(["first test_acc >= 0.99", "first test_acc >= 0.95"]),
    "clocks.late": st.sampled_from([None, "first test_loss <= 0.1 after generalize", "settle weight_norm within 1%"]),
    "stop": st.sampled_from([None, {"after": ["generalize"]}, {"after": ["generalize"], "patience": 100}]),
}


def _set(data: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data.setdefault(key, {})
    if value is None:
        data.pop(last, None)
    else:
        data[last] = value


@st.composite
def experiments(draw) -> Experiment:
    data = copy.deepcopy(BASE)
    for path in draw(st.lists(st.sampled_from(sorted(EDITS)), unique=True, max_size=6)):
        _set(data, path, draw(EDITS[path]))
    return clockspec.loads(yaml.safe_dump(data))


def _minimal(spec: Experiment) -> dict:
    """The spec with every default left out (kinds kept): how a terse author writes it."""
    def walk(full, terse):
        out = {}
        for key, value in full.items():
            if key == "kind":
                out[key] = value
            elif key in terse:
                out[key] = walk(value, terse[key]) if isinstance(value, dict) and isinstance(terse[key], dict) else value
        return out

    return walk(canonical(spec), spec.model_dump(mode="json", exclude_defaults=True, exclude_none=True))


def _shuffled(value, rng: random.Random):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    return value


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(experiments(), st.randoms(use_true_random=False), st.booleans(), st.booleans())
def test_reformatting_is_no_change(x, rng, terse, flow):
    """Reordered keys, flow or block style, defaults left out or spelled out: no change."""
    data = _minimal(x) if terse else canonical(x)
    text = yaml.safe_dump(_shuffled(data, rng), sort_keys=False, default_flow_style=flow)
    d = clockspec.diff(x, clockspec.loads(text))
    assert not d and d.changes == [] and d.impact.verdict == "none"


@FAST
@given(experiments())
def test_the_canonical_printer_is_no_change(x):
    """What `clockspec fmt` / `convert --canonical` print reads back with no change."""
    for syntax in ("yaml",):
        assert not clockspec.diff(x, clockspec.loads(clockspec.dumps(x, syntax), syntax), impact=False)


@FAST
@given(experiments(), experiments())
def test_diff_b_a_mirrors_diff_a_b(a, b):
    forward, backward = clockspec.diff(a, b), clockspec.diff(b, a)
    key = lambda c: (repr(c.path), c.op, repr(c.old), repr(c.new))
    assert sorted(map(key, backward.changes)) == sorted(key(c.inverse()) for c in forward.changes)
    flipped = forward.impact.inverse()
    for group in ("retrain", "reevaluate", "cosmetic"):
        assert sorted(map(repr, getattr(backward.impact, group))) == sorted(map(repr, getattr(flipped, group)))
    assert backward.impact.train_hash == flipped.train_hash
    assert backward.impact.verdict == forward.impact.verdict


@FAST
@given(experiments(), experiments())
def test_apply_a_diff_a_b_gives_b(a, b):
    d = clockspec.diff(a, b, impact=False)
    assert clockspec.apply(a, d) == b
    assert clockspec.apply(b, [c.inverse() for c in reversed(d.changes)]) == a


@FAST
@given(experiments(), experiments())
def test_no_change_means_no_node_changes_and_back(a, b):
    """Equal canonical IR <=> empty diff; a node's hash changes only if the IR did."""
    d = clockspec.diff(a, b)
    assert bool(d.changes) == (canonical(a) != canonical(b))
    if not d.changes:
        assert not d.impact.nodes


def test_apply_refuses_a_diff_of_another_spec():
    a = clockspec.loads(yaml.safe_dump(BASE))
    b = clockspec.loads(yaml.safe_dump({**BASE, "seed": 1}))
    c = clockspec.loads(yaml.safe_dump({**BASE, "seed": 2}))
    with pytest.raises(clockspec.SpecError, match="cannot apply change to seed: expected 0, found 2"):
        clockspec.apply(c, clockspec.diff(a, b))


def test_a_family_and_an_experiment_do_not_compare():
    a = clockspec.loads(yaml.safe_dump(BASE))
    fam = clockspec.loads(yaml.safe_dump({"family": "f", "base": BASE, "vary": {"grid": {"seed": [0, 1]}}}))
    with pytest.raises(clockspec.SpecError, match="cannot compare an experiment with a family"):
        clockspec.diff(a, fam)
