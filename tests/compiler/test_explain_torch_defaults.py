"""explain says where clockspec's defaults differ from torch's, every time they apply."""
import pytest

import clockspec
from clockspec.compiler.explain import explain

BASE = "name: t\ntask: {kind: modular, modulus: 7}\nmodel: {kind: embed_mlp}\n"


def text(extra: str) -> str:
    return explain(clockspec.loads(BASE + extra).compile())


@pytest.mark.parametrize("optimizer, says", [
    ("{kind: adamw}", True),  # the default betas (0.9, 0.98)
    ("{kind: adamw, betas: [0.9, 0.999]}", False),
    ("{kind: adam}", False),
    ("{kind: adam, betas: [0.9, 0.98]}", True),
])
def test_betas_other_than_torchs_are_said_to_be(optimizer, says):
    assert ("(torch's default is (0.9, 0.999))" in text(f"optimizer: {optimizer}\n")) == says


@pytest.mark.parametrize("decay, spared", [
    ("{strength: 1}", "the biases and norms do not decay"),
    ("{strength: 1, applies_to: [weights, embeddings, biases]}", "the norms do not decay"),
    ("{strength: 1, applies_to: [weights, biases, embeddings, norms]}", None),
])
def test_parameters_weight_decay_spares_are_named_with_torchs_behaviour(decay, spared):
    out = text(f"regularizers: {{weight_decay: {decay}}}\n")
    assert ("torch's weight_decay decays every parameter" in out) == (spared is not None)
    assert spared is None or spared in out
