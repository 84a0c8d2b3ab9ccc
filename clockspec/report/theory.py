"""Rates the theory predicts for a spec, to set beside the exponential tails the data shows.

Weight decay as the runtime applies it (runtime/regularizers.py):
- decoupled: W <- W (1 - lr * lambda) before each step. Any quadratic quantity of the
  weights (W_i W_i^T, hence the layer imbalance D_i = W_{i+1}^T W_{i+1} - W_i W_i^T, and the
  weight norm) shrinks by (1 - lr * lambda)^2 per step from the decay alone: a rate of
  -2 log(1 - lr * lambda) ~ 2 lr lambda.
- coupled: g + lambda W before the optimizer's rule; under plain gradient descent the same
  shrink as decoupled.
- loss: lambda ||W||^2 in the loss, gradient 2 lambda W, so the factor is (1 - 2 lr lambda)^2:
  ~ 4 lr lambda per step for the imbalance under gradient descent (the paper's rate).
Under plain gradient descent the data gradient conserves D_i (to first order in lr), so the
imbalance rate is a prediction for `balance`. Under Adam the preconditioned step does not
conserve it, and the decay rate is only a reference. Other quantities (the structural energy,
the loss floor) converge at a rate set by the curvature at the regularised minimum, of the
order of lr * lambda: shown as a reference, never judged.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Rate:
    metric: str  # the metric whose exponential tail this rate is about ("*" for any)
    rate: float  # per step, in log units: gap(t + 1) / gap(t) = exp(-rate)
    formula: str
    judged: bool  # a prediction the report gives a verdict on, or a reference only
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def predicted_rates(spec: Any) -> list[Rate]:
    """The theory's per-step rates for this experiment (empty when it predicts none)."""
    wd = getattr(getattr(spec, "regularizers", None), "weight_decay", None)
    if wd is None or wd.strength <= 0 or wd.per_layer is not None:
        return []
    lr, lam = spec.optimizer.lr, wd.strength
    note = "" if spec.optimizer.schedule == "constant" else f"lr follows a {spec.optimizer.schedule} schedule: peak lr used"
    single = wd.placement != "loss"  # a shrink of lr lambda per step under GD (the loss term's gradient is 2 lambda W)
    shrink = lr * lam if single else 2 * lr * lam
    if shrink >= 1:
        return []
    quadratic = -2 * math.log1p(-shrink)
    form = "-2 log(1 - lr*lambda)" if single else "-2 log(1 - 2 lr*lambda)"
    plain_gd = spec.optimizer.plain_gradient_descent
    out = []
    if spec.model.linear_depth is not None:  # layers whose imbalance `balance` measures
        approx = "2 lr lambda" if single else "4 lr lambda"
        why = "" if plain_gd else f"{spec.optimizer.kind} does not conserve the imbalance: reference only"
        out.append(Rate("balance", quadratic, f"{form} ~ {approx} (imbalance, {'loss-term' if wd.placement == 'loss' else wd.placement} decay)",
                        judged=plain_gd, note="; ".join(n for n in (why, note) if n)))
    out.append(Rate("*", shrink, "lr*lambda" if single else "2 lr*lambda",
                    judged=False, note="; ".join(n for n in ("weight shrink per step: the scale of any decay-driven tail", note) if n)))
    return out
