"""Regularizer kinds, keyed by kind in the spec's `regularizers` map, and every fact the
compiler asks of one.

`regularizers: {weight_decay: {...}, schatten: {...}}`; a kind that is absent (or set to
null in a family) is off. Every regularizer has a `strength` (ablations scale it, batches
hold it per member); it gives the problems it has with a model (`misfits`), itself as the
objective hashes it for a model (`resolved`), the fields that may differ inside a batch
(`per_member_fields`) and its plain-language description (`describe`).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal, Optional, get_args

from pydantic import Field, create_model

from clockspec.ir.base import KindRegistry, Strict, format_number
from clockspec.ir.metrics import METRICS, schatten_exponent
from clockspec.ir.parametrization import Role

# The layer matrices W_i of DOMAIN.md's sum_i ||W_i||_F^2, whose induced penalty the theory
# derives; biases and LayerNorm parameters are not factors of the end-to-end map.
DEFAULT_DECAY: tuple[Role, ...] = ("weights", "embeddings")
REGULARIZERS = KindRegistry("regularizer", fields=("strength",), required=(
    "misfits", "resolved", "per_member_fields", "describe"))
Misfit = tuple[tuple[str, ...], str]  # (the field at fault, below the regularizer's own path; the message)


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
    applies_to: Optional[list[Role]] = Field(None, min_length=1)
    """Which parameters decay: weights, biases, embeddings, norms (absent: weights and embeddings, the layer matrices of sum_i ||W_i||_F^2; torch's AdamW decays all four)."""

    per_member_fields: ClassVar[tuple[str, ...]] = ("strength",)


    def misfits(self, spec: Any, layers: list[str] | None) -> Iterator[Misfit]:
        """`per_layer` must list one strength per weight layer (`layers`, None when unknown)."""
        if self.per_layer is not None and layers is not None and len(self.per_layer) != len(layers):
            yield (("per_layer",), f"per_layer has {len(self.per_layer)} strengths but the model has {len(layers)} "
                   f"weight layers ({', '.join(layers)})")

    def resolved(self, model: Any) -> WeightDecay:
        return self

    def describe(self, derived: Mapping[str, Any]) -> str:
        how = ("decoupled (AdamW-style shrink of each weight, lr * lambda per step)" if self.decoupled
               else "added to the loss as a penalty")
        strengths = f"per layer {self.per_layer}" if self.per_layer else f"lambda = {format_number(self.strength)}"
        targets = ", ".join(self.targets)
        spared = [role for role in get_args(Role) if role not in self.targets]
        unlike_torch = (f"; the {' and '.join(spared)} do not decay (torch's weight_decay decays every parameter; "
                        "`applies_to` changes it)") if spared else ""
        return f"Weight decay: lambda * sum_i ||W_i||_F^2 with {strengths}, {how}; it applies to the {targets}{unlike_torch}."

    @property
    def targets(self) -> list[str]:
        """The parameter roles that decay."""
        return list(self.applies_to) if self.applies_to is not None else list(DEFAULT_DECAY)


@REGULARIZERS.register
class Schatten(Strict):
    """An explicit penalty strength * sum_k sigma_k(W)^q on the end-to-end map W."""

    kind: Literal["schatten"] = Field("schatten", exclude=True)
    strength: float = Field(1e-3, ge=0.0)
    """Multiplies the penalty."""
    q: float | Literal["auto"] = "auto"  # auto: 2/L for a depth-L deep linear net
    """The exponent; `auto` is 2/L for a depth-L deep linear net."""

    per_member_fields: ClassVar[tuple[str, ...]] = ("strength",)

    def misfits(self, spec: Any, layers: list[str] | None) -> Iterator[Misfit]:
        """It needs what the `schatten` metric needs: an end-to-end map."""
        reason = METRICS["schatten"].requires(spec)
        if reason:
            yield ((), f"the schatten regularizer {reason}")

    def resolved(self, model: Any) -> Schatten:
        """With `q: auto` resolved to 2/L, so that the objective hashes the exponent it uses."""
        return self.model_copy(update={"q": schatten_exponent(self.q, model)})

    def describe(self, derived: Mapping[str, Any]) -> str:
        return (f"Explicit Schatten penalty: {format_number(self.strength)} * sum_k sigma_k(W)^{derived['schatten_q']:.4g} "
                "on the end-to-end map.")


def _regularizers_model():
    fields = {
        name: (Optional[cls], None) for name, cls in REGULARIZERS.kinds.items()
    }
    return create_model("Regularizers", __base__=Strict, **fields)


Regularizers = _regularizers_model()
Regularizers.__doc__ = "The regularizers that are on, one entry per kind."
