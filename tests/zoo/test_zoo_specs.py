"""The zoo's specs: each compiles, its dataset file is what the shipped script writes."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import clockspec
import shipped
from clockspec.compiler.explain import explain

ZOO = shipped.SPECS_DIR / "zoo"


def test_the_digits_file_is_what_make_digits_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_digits", ZOO / "make_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path / "digits.npz")
    with np.load(tmp_path / "digits.npz") as fresh, np.load(ZOO / "digits.npz") as shipped_file:
        assert sorted(fresh.files) == sorted(shipped_file.files) == ["x_test", "x_train", "y_test", "y_train"]
        for key in fresh.files:
            assert np.array_equal(fresh[key], shipped_file[key]), key
        assert fresh["x_train"].shape == (1000, 10, 10) and set(np.unique(fresh["y_train"])) == set(range(10))


@pytest.mark.parametrize("name", ["sparse_parity", "s5_grokking", "omnigrok_large_init", "omnigrok_constrained"])
def test_each_zoo_experiment_compiles_and_explains_its_new_kinds(name):
    plan = clockspec.load(ZOO / f"{name}.yaml").compile()
    text = explain(plan)
    words = {"sparse_parity": "parity of 3 seeded positions", "s5_grokking": "symmetric group S5 (120 elements",
             "omnigrok_large_init": "read from 'digits.npz' (content-hashed)",
             "omnigrok_constrained": "Weight-norm constraint"}[name]
    assert words in text and not [d for d in plan.diagnostics if d.severity == "error"]


def test_the_zoo_families_differ_in_one_new_field_each():
    noise = [m.spec for m in clockspec.expand(ZOO / "label_noise.yaml")]
    assert [s.task.label_noise for s in noise][0] is None and noise[1].task.label_noise.fraction == 0.2
    losses = [m.spec.train.loss for m in clockspec.expand(ZOO / "stablemax.yaml")]
    assert losses == ["cross_entropy", "stablemax"]
