"""Loading a YAML spec into the IR: defaults filled, errors positioned."""

import pytest

import clockspec
from clockspec.syntax.validate import PLUGIN_HINT

SPEC = """\
name: modadd-relu
task:        {kind: modular, op: add, modulus: 97, train_fraction: 0.3}
model:       {kind: embed_mlp, embed_dim: 128, hidden: [256], activation: relu}
regularizers:
  weight_decay: {strength: 1.0}
clocks:
  fit:        first train_loss <= 1e-2
  simplify:   settle weight_norm within 1%
"""


def test_defaults_filled_and_units_normalised():
    spec = clockspec.loads(SPEC)
    assert spec.optimizer.kind == "adamw" and spec.optimizer.betas == (0.9, 0.98)
    assert spec.clocks["simplify"].within == 0.01 and spec.clocks["simplify"].relative
    assert spec.clocks["fit"].value == 0.01
    assert spec.regularizers.schatten is None


def test_three_mistakes_three_positions():
    bad = SPEC.replace("modulus: 97", "modulos: 97").replace("embed_mlp", "emb_mlp").replace("train_loss", "train_los")
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(bad, file="bad.yaml")
    got = [(d.line, d.col, d.message) for d in info.value.diagnostics]
    assert got == [
        (2, 39, "unknown key 'modulos' in task"),
        (3, 21, "unknown model kind 'emb_mlp'"),
        (7, 21, "clocks.fit: unknown metric 'train_los'"),
    ]
    assert [d.hint for d in info.value.diagnostics] == [
        "did you mean 'modulus'?", f"did you mean 'embed_mlp'? {PLUGIN_HINT}", "did you mean 'train_loss'?"]
