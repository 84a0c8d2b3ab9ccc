"""Issue 29: a metric the model cannot produce is reported in the same pass as the spec's
other errors, each at file:line:col, in YAML and .clk alike, and with the very message and
place the compiler gives once the other errors are fixed."""
from __future__ import annotations

import pytest

from clockspec.commands.main import main

YAML = """\
name: cap
task: {kind: modular, modulus: 11}
model: {kind: mlp, hidden: [16]}
optimizer: {kind: adamw, lr: -1}
train: {steps: 100, bogus: 3}
probes: {every: 10, metrics: [attention_entropy]}
clocks:
  fit: first train_loss <= 0.1
  focus: first attention_entropy <= 0.5
"""
METRIC = ("6:31: error: metric 'attention_entropy' cannot be measured here: needs a model with attention "
          "(transformer), not mlp")
CLOCK = ("9:16: error: clock 'focus' watches 'attention_entropy', which cannot be measured here: needs a model "
         "with attention (transformer), not mlp")
CLK = """\
experiment cap {
  task modular { modulus = 11 }
  model mlp { hidden = [16] }
  optimizer adamw { lr = -1 }
  train { steps = 100 }
  probes {
    every = 10
    metrics = [attention_entropy]
  }
  clock focus = first attention_entropy <= 0.5
}
"""


def errors(tmp_path, capsys, name: str, text: str) -> list[str]:
    (tmp_path / name).write_text(text)
    assert main(["check", str(tmp_path / name)]) == 2
    return [line.removeprefix(f"{tmp_path / name}:") for line in capsys.readouterr().err.splitlines()
            if not line.startswith("  hint")]


def test_unmeasurable_metrics_come_with_the_field_errors(tmp_path, capsys):
    assert errors(tmp_path, capsys, "c.yaml", YAML) == [
        "4:30: error: optimizer.lr: expected a number in (0, 1000]; got -1",
        "5:21: error: unknown key 'bogus' in train", METRIC, CLOCK]


def test_the_same_message_and_place_once_the_other_errors_are_fixed(tmp_path, capsys):
    fixed = YAML.replace("lr: -1", "lr: 0.01").replace(", bogus: 3", "")
    assert errors(tmp_path, capsys, "c.yaml", fixed) == [METRIC, CLOCK]  # now from the compiler's pass


def test_a_missing_name_does_not_hide_them(tmp_path, capsys):
    found = errors(tmp_path, capsys, "c.yaml", YAML.replace("name: cap\n", ""))
    assert "missing required key 'name'" in found[0]
    assert found[-2:] == [METRIC.replace("6:", "5:", 1), CLOCK.replace("9:", "8:", 1)]


def test_with_a_clock_reference_error_too(tmp_path, capsys):
    text = YAML.replace("lr: -1", "lr: 0.01").replace(", bogus: 3", "") + "stop: {after: [nowhere]}\n"
    found = errors(tmp_path, capsys, "c.yaml", text)
    assert any("nowhere" in line for line in found) and {METRIC, CLOCK} <= set(found)


def test_in_clk_too(tmp_path, capsys):
    found = errors(tmp_path, capsys, "c.clk", CLK)
    assert found[0].startswith("4:") and "optimizer.lr" in found[0]
    assert [line.split(": error: ")[1] for line in found[1:]] == [m.split(": error: ")[1] for m in (METRIC, CLOCK)]


@pytest.mark.parametrize("broken", ["kind: mlpp", "kind: mlp, hidden: oops"])
def test_nothing_is_said_against_a_model_that_failed(tmp_path, capsys, broken):
    found = errors(tmp_path, capsys, "c.yaml", YAML.replace("kind: mlp, hidden: [16]", broken))
    if broken == "kind: mlpp":  # no model to judge against
        assert not any("cannot be measured" in line for line in found)
    else:  # the hidden sizes failed, the model kind stands: judged against an mlp
        assert found[-2:] == [METRIC, CLOCK]
