"""What the runtime may ask of a model: the `Model` protocol.

The training core, the metrics, the regularizers and the batched path are written against
this protocol, never against an architecture's class. Besides what every model answers
(logits, hidden pre-activations, its weight matrices), a model has optional capabilities:
a token embedding, a readout head, a factorisation into linear maps. Every model also has a
forward over members stacked on a leading axis (the training step). It answers None for one it lacks, and `require` turns that None
into an error that names who asked. A model built without a member of the protocol is
refused when it is built (`conform`), not deep inside a probe with an AttributeError.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol, TypeVar

import torch
from torch import nn

from clockspec.core.errors import SpecError

T = TypeVar("T")


class Model(Protocol):
    """A torch module from a batch of inputs to a batch of logits (`model(x)`)."""

    embedding: nn.Parameter | None
    """The token embedding table (tokens x d) that token inputs enter through, if any."""

    @property
    def head(self) -> nn.Parameter | None:
        """The readout weight, from the last hidden layer to the logits, if any."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def forward_with_preacts(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The logits and the pre-activations of every hidden nonlinearity (none in a linear model)."""

    def spec_parameters(self) -> list[tuple[str, str, nn.Parameter]]:
        """(name, role, parameter) for every parameter, named and ordered as the IR's
        `param_shapes`, with its role (weights, biases, embeddings, norms): what the
        parametrization and weight decay's `applies_to` address."""

    def token_table(self) -> torch.Tensor | None:
        """(tokens x d): each input token's vector (an embedding's rows, or a one-hot first
        layer's columns), for Fourier measures; None without token inputs."""

    def layer_weights(self) -> list[torch.Tensor]:
        """The weight matrices, input to output, embedding tables included and biases not:
        what weight decay and `weight_norm` act on."""

    def linear_factors(self) -> list[torch.Tensor] | None:
        """W_1..W_L when the model is exactly their product (a deep linear network), else None."""

    def end_to_end(self) -> torch.Tensor | None:
        """The product W_L ... W_1 when the model is one linear map, else None."""

    def forward_stacked(self, params: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """The forward of K members whose parameters (this model's names) are stacked on a
        leading member axis: (K, n, classes), each member's slice computed from that member's
        values alone. The one training step (runtime/stacked.py) runs it, for one member or many."""

    def parameters(self) -> Iterator[nn.Parameter]: ...

    def named_parameters(self) -> Iterator[tuple[str, nn.Parameter]]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> Any: ...

    def to(self, device: torch.device) -> Model: ...


MEMBERS = tuple(name for name in (*vars(Model), *Model.__annotations__) if not name.startswith("_"))


def conform(model: Any, kind: str) -> Model:
    """`model`, once it is known to have every member of the protocol (optional ones aside)."""
    missing = [name for name in MEMBERS if not hasattr(model, name)]
    if missing:
        raise TypeError(f"the model builder '{kind}' made a {type(model).__name__} without "
                        f"{', '.join(missing)}: a runtime model follows runtime/models/protocol.py")
    return model


def require(value: T | None, what: str, needed_by: str) -> T:
    """A capability the model answered, or a SpecError: `needed_by` needs `what`, which it lacks."""
    if value is None:
        raise SpecError(f"{needed_by} needs {what}, which this model does not have")
    return value
