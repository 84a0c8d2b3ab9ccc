"""Regularizer kinds, keyed by kind in the spec's `regularizers` map.

`regularizers: {weight_decay: {...}, schatten: {...}}`; a kind that is absent (or set to
null in a family) is off.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, create_model

from clockspec.ir.base import KindRegistry, Strict

REGULARIZERS = KindRegistry("regularizer")


@REGULARIZERS.register
class WeightDecay(Strict):
    """lambda * sum_i ||W_i||_F^2, decoupled (AdamW-style shrink) or added to the loss."""

    kind: Literal["weight_decay"] = Field("weight_decay", exclude=True)
    strength: float = Field(1e-2, ge=0.0)
    """lambda."""
    per_layer: Optional[list[float]] = None
    """One strength per layer, instead of `strength` for all."""
    decoupled: bool = True
    """AdamW-style shrinking of the weights (true) or a term added to the loss (false)."""


@REGULARIZERS.register
class Schatten(Strict):
    """An explicit penalty strength * sum_k sigma_k(W)^q on the end-to-end map W."""

    kind: Literal["schatten"] = Field("schatten", exclude=True)
    strength: float = Field(1e-3, ge=0.0)
    """Multiplies the penalty."""
    q: float | Literal["auto"] = "auto"  # auto: 2/L for a depth-L deep linear net
    """The exponent; `auto` is 2/L for a depth-L deep linear net."""


def _regularizers_model():
    fields = {
        name: (Optional[cls], None) for name, cls in REGULARIZERS.kinds.items()
    }
    return create_model("Regularizers", __base__=Strict, **fields)


Regularizers = _regularizers_model()
Regularizers.__doc__ = "The regularizers that are on, one entry per kind."
