"""The zoo's specs: each compiles, its dataset file is what the shipped script writes."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import clockspec
import shipped
from clockspec.compiler.explain import explain

ZOO = shipped.SPECS_DIR / "zoo"


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ZOO / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_synthetic_strokes_file_is_what_its_script_writes(tmp_path):
    script("make_synthetic_strokes").main(tmp_path / "strokes.npz")
    with np.load(tmp_path / "strokes.npz") as fresh, np.load(ZOO / "synthetic_strokes.npz") as shipped_file:
        assert sorted(fresh.files) == sorted(shipped_file.files) == ["x_test", "x_train", "y_test", "y_train"]
        for key in fresh.files:
            assert np.array_equal(fresh[key], shipped_file[key]), key
        assert fresh["x_train"].shape == (1000, 10, 10) and set(np.unique(fresh["y_train"])) == set(range(10))


def test_the_real_digits_file_is_scikit_learns_8x8_set_and_small():
    path = ZOO / "sklearn_digits.npz"
    assert path.stat().st_size < 64 * 1024
    with np.load(path) as shipped_file:
        x, y = shipped_file["x"], shipped_file["y"]
        assert sorted(shipped_file.files) == ["x", "y"] and x.shape == (1797, 8, 8) and x.dtype == np.float16
        assert set(np.unique(x * 16).tolist()) == set(range(17))  # grey levels k / 16, every one exact
        assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_the_real_digits_file_is_what_its_script_writes_where_scikit_learn_is(tmp_path):
    pytest.importorskip("sklearn")  # the script's own dependency, never clockspec's
    script("make_sklearn_digits").main(tmp_path / "digits.npz")
    with np.load(tmp_path / "digits.npz") as fresh, np.load(ZOO / "sklearn_digits.npz") as shipped_file:
        assert sorted(fresh.files) == sorted(shipped_file.files)
        for key in fresh.files:
            assert fresh[key].dtype == shipped_file[key].dtype and np.array_equal(fresh[key], shipped_file[key]), key


@pytest.mark.parametrize("name", ["sparse_parity", "s5_grokking", "omnigrok_large_init", "omnigrok_constrained",
                                  "synthetic_strokes_large_init"])
def test_each_zoo_experiment_compiles_and_explains_its_new_kinds(name):
    plan = clockspec.load(ZOO / f"{name}.yaml").compile()
    text = explain(plan)
    words = {"sparse_parity": "parity of 3 seeded positions", "s5_grokking": "symmetric group S5 (120 elements",
             "omnigrok_large_init": "read from 'sklearn_digits.npz' (content-hashed); 1,000 training",
             "synthetic_strokes_large_init": "read from 'synthetic_strokes.npz' (content-hashed)",
             "omnigrok_constrained": "Weight-norm constraint"}[name]
    assert words in text and not [d for d in plan.diagnostics if d.severity == "error"]


def test_the_zoo_families_differ_in_one_new_field_each():
    noise = [m.spec for m in clockspec.expand(ZOO / "label_noise.yaml")]
    assert [s.task.label_noise for s in noise][0] is None and noise[1].task.label_noise.fraction == 0.2
    losses = [m.spec.train.loss for m in clockspec.expand(ZOO / "stablemax.yaml")]
    assert losses == ["cross_entropy", "stablemax"]
