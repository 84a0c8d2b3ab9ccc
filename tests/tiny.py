"""The tiny modular experiment that the workflow and command-line tests run (11 values, tens
of steps, two clocks), named by each test; `head`, `clocks` and `tail` add lines after the
name, between the two clocks and at the end."""
from __future__ import annotations

TINY = """\
name: {name}
{head}task: {{kind: modular, modulus: 11, train_fraction: 0.7}}
model: {{kind: embed_mlp, embed_dim: 8, hidden: [16]}}
optimizer: {{kind: adamw, lr: 0.02}}
train: {{steps: {steps}}}
probes: {{every: 10}}
clocks:
  memorize: first train_acc >= 0.5
{clocks}  perfect: first test_acc >= 1
{tail}"""


def tiny_spec(name: str, steps: int = 40, head: str = "", clocks: str = "", tail: str = "") -> str:
    return TINY.format(name=name, steps=steps, head=head, clocks=clocks, tail=tail)
