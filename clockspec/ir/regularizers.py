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

from pydantic import Field, create_model, model_validator

from clockspec.ir.base import KindRegistry, Strict, field_error, format_number
from clockspec.ir.metrics import METRICS, schatten_exponent
from clockspec.ir.parametrization import Role

# The layer matrices W_i of DOMAIN.md's sum_i ||W_i||_F^2, whose induced penalty the theory
# derives; biases and LayerNorm parameters are not factors of the end-to-end map.
DEFAULT_DECAY: tuple[Role, ...] = ("weights", "embeddings")
REGULARIZERS = KindRegistry("regularizer", fields=("strength",), required=(
    "misfits", "resolved", "per_member_fields", "describe"))
Misfit = tuple[tuple[str, ...], str]  # (the field at fault, below the regularizer's own path; the message)
Placement = Literal["decoupled", "loss", "coupled"]
PLACEMENTS: dict[str, str] = {  # what explain says of each
    "decoupled": "decoupled: each decayed weight shrinks, W <- W (1 - lr * lambda), before the update (AdamW's rule; "
                 "torch's AdamW(weight_decay=lambda))",
    "loss": "in the loss: lambda * sum_i ||W_i||_F^2 is added to it, so its gradient 2 lambda W passes through "
            "clipping and the gradient transforms (Grokfast, ⊥Grad) and the optimizer's rule like the data's",
    "coupled": "coupled into the gradient: g <- g + lambda W after the gradient transforms (Grokfast, ⊥Grad), before "
               "the optimizer's rule (torch's SGD(weight_decay=lambda) and Adam(weight_decay=lambda))",
}


@REGULARIZERS.register
class WeightDecay(Strict):
    """Weight decay of strength lambda, placed in one of three ways (`placement`)."""

    kind: Literal["weight_decay"] = Field("weight_decay", exclude=True)
    strength: float = Field(1e-2, ge=0.0)
    """lambda."""
    per_layer: Optional[list[float]] = None
    """One strength per layer, instead of `strength` for all."""
    placement: Placement = "decoupled"
    """Where the decay acts: `decoupled` (W <- W (1 - lr lambda) before the update, AdamW's rule), `loss`
    (lambda sum_i ||W_i||_F^2 added to the loss) or `coupled` (g <- g + lambda W after the gradient transforms,
    before the optimizer's rule, as torch's `weight_decay` of SGD and Adam). The former `decoupled: true|false`
    still reads as `decoupled` and `loss`."""
    applies_to: Optional[list[Role]] = Field(None, min_length=1)
    """Which parameters decay: weights, biases, embeddings, norms (absent: weights and embeddings, the layer matrices of sum_i ||W_i||_F^2; torch's AdamW decays all four)."""

    per_member_fields: ClassVar[tuple[str, ...]] = ("strength",)

    @model_validator(mode="before")
    @classmethod
    def _former_spelling(cls, data: Any) -> Any:
        """`decoupled: true|false`, the spelling before `placement`, is `decoupled` or `loss`."""
        if not isinstance(data, dict) or "decoupled" not in data:
            return data
        flag = data["decoupled"]
        if not isinstance(flag, bool):
            raise field_error("decoupled", f"decoupled is true or false (the former spelling of placement); got {flag!r}")
        placement = "decoupled" if flag else "loss"
        if data.get("placement", placement) != placement:
            raise field_error("decoupled", f"decoupled: {str(flag).lower()} says placement {placement}, but placement "
                              f"is {data['placement']}", "keep placement alone")
        return {**{k: v for k, v in data.items() if k != "decoupled"}, "placement": placement}

    def misfits(self, spec: Any, layers: list[str] | None) -> Iterator[Misfit]:
        """`per_layer` must list one strength per weight layer (`layers`, None when unknown)."""
        if self.per_layer is not None and layers is not None and len(self.per_layer) != len(layers):
            yield (("per_layer",), f"per_layer has {len(self.per_layer)} strengths but the model has {len(layers)} "
                   f"weight layers ({', '.join(layers)})")

    def resolved(self, model: Any) -> HashedWeightDecay:
        """As the objective hashes it: `decoupled` and `loss` as the `decoupled: true|false` they
        were hashed as before `placement` named them (so those specs keep their hashes)."""
        data = self.model_dump(exclude={"placement"})
        form = {"decoupled": self.placement == "decoupled"} if self.placement != "coupled" else {"placement": "coupled"}
        return HashedWeightDecay(**data, **form)

    def describe(self, derived: Mapping[str, Any]) -> str:
        how = f"placement {self.placement} ({PLACEMENTS[self.placement]})"
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


class HashedWeightDecay(Strict):
    """A weight decay as the objective node hashes it (`WeightDecay.resolved`)."""

    strength: float
    per_layer: Optional[list[float]] = None
    decoupled: Optional[bool] = None
    placement: Optional[Literal["coupled"]] = None
    applies_to: Optional[list[Role]] = None


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
