"""Intervention kinds: changes to the training step itself, keyed by kind in `interventions`.

`interventions: {weight_norm: {norm: 40}, grad_clip: {max_norm: 1.0}}`; a kind that is absent
(or set to null in a family) is off, and a spec with none leaves the key out. Each gives its
plain-language description (`describe`) and when it acts (`when`); the stacked step
(runtime/stacked.py) applies it to each member of a stack (runtime/interventions/).
The optimizer's Grokfast filter is an optimizer option (`clockspec.ir.optimizers`), the
loss's kind and dtype are `train.loss` and `train.loss_dtype`.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import Field, create_model

from clockspec.ir.base import KindRegistry, Strict, format_number

INTERVENTIONS = KindRegistry("intervention", required=("describe", "when"))


@INTERVENTIONS.register
class WeightNorm(Strict):
    """After every update, all layer weights rescaled together to a fixed total norm (Omnigrok)."""

    kind: Literal["weight_norm"] = Field("weight_norm", exclude=True)
    norm: Union[Annotated[float, Field(gt=0.0)], Literal["init"]] = "init"
    """The total norm sqrt(sum_i ||W_i||_F^2) to hold (the `weight_norm` metric is its square); `init`: the initial one."""
    factor: float = Field(1.0, gt=0.0, le=1e6)
    """Multiplies `norm` (with `init`: hold `factor` times the initial norm)."""

    when: ClassVar[str] = "after each update"

    def describe(self) -> str:
        target = "its initial value" if self.norm == "init" else format_number(self.norm)
        times = "" if self.factor == 1.0 else f"{format_number(self.factor)} times "
        return (f"Weight-norm constraint: after every update all layer weights are rescaled together to a total "
                f"norm of {times}{target} (Omnigrok).")


@INTERVENTIONS.register
class GradClip(Strict):
    """The gradient of all parameters rescaled to at most `max_norm` (total L2 norm) before each update."""

    kind: Literal["grad_clip"] = Field("grad_clip", exclude=True)
    max_norm: float = Field(1.0, gt=0.0)
    """The largest total gradient norm an update may use."""

    when: ClassVar[str] = "before each update"

    def describe(self) -> str:
        return f"Gradient clipping: the total gradient norm is capped at {format_number(self.max_norm)} before each update."


def _interventions_model():
    fields = {name: (Optional[cls], None) for name, cls in INTERVENTIONS.kinds.items()}
    return create_model("Interventions", __base__=Strict, **fields)


Interventions = _interventions_model()
Interventions.__doc__ = "The interventions that are on, one entry per kind."
