"""Model kinds: what is trained."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from clockspec.ir.base import KindRegistry, Strict

MODELS = KindRegistry("model")

Activation = Literal["relu", "gelu", "quadratic", "linear"]
# Activations whose on/off pattern makes the network piecewise linear (pattern_flips is defined).
RELU_FAMILY = {"relu"}
Width = Annotated[int, Field(ge=1, le=65536)]


@MODELS.register
class DeepLinear(Strict):
    """W_L ... W_1 with no nonlinearity: the end-to-end map is one matrix."""

    kind: Literal["deep_linear"]
    depth: int = Field(3, ge=2, le=64)
    """Number of weight matrices L."""
    width: int = Field(32, ge=1, le=65536)
    """Width of the hidden layers."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights."""


@MODELS.register
class MLP(Strict):
    """A fully connected network; a modular task feeds it the two operands one-hot."""

    kind: Literal["mlp"]
    hidden: list[Width] = Field(default_factory=lambda: [128], max_length=64)
    """Widths of the hidden layers."""
    activation: Activation = "relu"
    """Nonlinearity of the hidden layers."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights."""
    bias: bool = True
    """Whether layers have biases."""


@MODELS.register
class EmbedMLP(Strict):
    """Token embeddings of both operands -> hidden layer(s) -> linear head (the paper's ReLU model)."""

    kind: Literal["embed_mlp"]
    embed_dim: int = Field(128, ge=1, le=65536)
    """Size of each token embedding."""
    combine: Literal["concat", "sum"] = "concat"
    """How the two operands' embeddings meet: `concat` or `sum`."""
    hidden: list[Width] = Field(default_factory=lambda: [128], min_length=1, max_length=64)
    """Widths of the hidden layers."""
    activation: Activation = "relu"
    """Nonlinearity of the hidden layers."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights."""
    bias: bool = True
    """Whether layers have biases."""


ModelSpec = MODELS.union()
