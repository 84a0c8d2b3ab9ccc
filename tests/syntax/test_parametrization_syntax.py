"""A parametrized model prints and reads back the same in both syntaxes: its `layers` keys
are dotted names, which a `.clk` block label cannot be, so they print as inline maps."""
import clockspec
from clockspec.syntax.clk_printer import dump_clk
from clockspec.syntax.yaml_printer import dump_yaml

SPEC = """
name: parametrized
task: {kind: modular, modulus: 7}
model:
  kind: transformer
  d_model: 8
  heads: 2
  d_head: 4
  d_mlp: 8
  parametrization:
    init: {law: xavier, scale: 2}
    output_scale: 0.5
    centered: true
    layers:
      blocks.0.mlp: {bias: false, lr: 0.5}
      unembed: {init: {law: normal, std: 0.01}}
regularizers:
  weight_decay: {strength: 0.1, applies_to: [weights, norms]}
"""


def test_a_parametrized_spec_round_trips_through_both_printers():
    spec = clockspec.loads(SPEC)
    clk = dump_clk(spec)
    assert '"blocks.0.mlp" = { lr = 0.5  bias = false }' in clk
    assert clockspec.loads(clk, syntax="clk") == spec
    assert clockspec.loads(dump_yaml(spec)) == spec
    assert dump_clk(clockspec.loads(clk, syntax="clk")) == clk
