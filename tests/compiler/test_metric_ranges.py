"""A clock threshold outside its metric's range (a fact of the metric, clockspec/ir/metrics.py)
is an error at the threshold's line and column; past a range that is only typical, a warning."""
from __future__ import annotations

import pytest

from clockspec.commands.main import main
from clockspec.ir.metrics import METRICS

SPEC = "name: x\ntask: {{kind: modular, modulus: 11}}\nmodel: {{kind: embed_mlp}}\nclocks:\n  grok: {}\n"


def check(tmp_path, clock: str, capsys) -> tuple[int, str]:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(clock))
    status = main(["check", str(path)])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("clock, column, says", [
    ("first test_acc >= 99", 27, "test_acc lies in [0, 1]: it can never fire"),
    ("first test_acc > 1", 26, "test_acc lies in [0, 1]"),
    ("first train_loss <= -1", 29, "train_loss is at least 0: it can never fire"),
    ("enter train_loss < 0", 28, "train_loss is at least 0"),
    ("last weight_norm <= -0.5", 29, "weight_norm is at least 0"),
])
def test_a_threshold_no_value_reaches_is_an_error_at_the_threshold(tmp_path, capsys, clock, column, says):
    status, err = check(tmp_path, clock, capsys)
    assert status == 2
    assert err.startswith(f"{tmp_path / 'spec.yaml'}:5:{column}: error: clock 'grok' waits for ") and says in err


@pytest.mark.parametrize("clock", ["first test_acc >= 1", "first train_loss <= 0", "first margin >= 99",
                                   "enter test_acc < 0.5", "first train_loss >= 1e9"])
def test_a_threshold_within_the_range_is_fine(tmp_path, capsys, clock):
    assert check(tmp_path, clock, capsys)[0] == 0


def test_past_a_typical_range_is_a_warning(tmp_path, capsys):
    status, err = check(tmp_path, "first llc <= -1", capsys)
    assert status == 0 and ":5:22: warning: clock 'grok' waits for llc <= -1" in err


def test_every_bounded_metric_says_its_range():
    assert METRICS["test_acc"].range.words() == "lies in [0, 1]"
    assert METRICS["margin"].range.words() == "takes any value"
    assert not METRICS["llc"].range.sure
