"""The training losses `train.loss` names, each with what the explain page, the figures and
the checks say of it; `runtime/objective.py` computes each under the same name. The spec's
choices (`LossName`) are the registry's names: one list of losses."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clockspec.core.registry import Registry


@dataclass(frozen=True)
class Loss:
    meaning: str  # the explain page's words
    unit: str  # the loss panel's y label
    real_targets: bool = False  # also fits a task with real-valued targets (regression)
    outputs: int | None = None  # the model's output width it reads, for a two-class task (None: one per class)


LOSSES: Registry[Loss] = Registry("loss", required=("meaning", "unit", "real_targets"))
for _name, _loss in {
    "cross_entropy": Loss("cross-entropy", "cross-entropy (nats)"),
    "mse": Loss("mean squared error against one-hot (or a regression task's real) targets (torch's MSELoss: "
                "mean over examples and outputs)", "mean squared error", real_targets=True),
    "mse_half_sum": Loss("(1/2) squared error against one-hot (or real) targets, summed over outputs, mean over "
                         "examples", "(1/2) squared error summed over outputs", real_targets=True),
    "stablemax": Loss("cross-entropy through StableMax, s(x) = x + 1 for x >= 0 and 1 / (1 - x) below, in place "
                      "of exp (Prieto et al. 2025)", "StableMax cross-entropy"),
    "hinge": Loss("multiclass hinge, mean of max(0, 1 - margin) with margin = logit[y] - max_{c != y} logit[c]",
                  "multiclass hinge"),
    "scalar_hinge": Loss("hinge on one output f(x) against a +-1 target (class 1 is +1, class 0 is -1), mean of "
                         "max(0, 1 - y f(x)), as Barak et al. 2022 train sparse parity; the model has one output and "
                         "predicts class 1 where f(x) > 0", "hinge max(0, 1 - y f(x))", outputs=1),
}.items():
    LOSSES.add(_name, _loss)
LossName = Literal[tuple(LOSSES.names())]  # type: ignore[valid-type]
