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
}.items():
    LOSSES.add(_name, _loss)
LossName = Literal[tuple(LOSSES.names())]  # type: ignore[valid-type]
