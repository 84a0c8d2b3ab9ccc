"""Optimizer kinds (with their learning-rate schedule)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from clockspec.ir.base import KindRegistry, Strict

OPTIMIZERS = KindRegistry("optimizer")

Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
# A pair written as a list (strict mode would want a Python tuple); each beta stays strict.
Betas = Annotated[tuple[Beta, Beta], Field(strict=False)]
Schedule = Literal["constant", "warmup", "cosine"]


class _Common(Strict):
    lr: float = Field(1e-3, gt=0.0, le=1e3)
    """Learning rate (the peak, under a schedule)."""
    schedule: Schedule = "constant"
    """`constant`, `warmup` (linear from 0 over warmup_steps) or `cosine` (after the warmup)."""
    warmup_steps: int = Field(0, ge=0)
    """Steps of linear warmup."""


@OPTIMIZERS.register
class SGD(_Common):
    kind: Literal["sgd"]
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    """Momentum factor."""
    nesterov: bool = False
    """Nesterov momentum."""


@OPTIMIZERS.register
class Adam(_Common):
    kind: Literal["adam"]
    betas: Betas = (0.9, 0.999)
    """Decay rates of the moment estimates."""
    eps: float = Field(1e-8, gt=0.0)
    """Added to the denominator."""


@OPTIMIZERS.register
class AdamW(_Common):
    kind: Literal["adamw"]
    betas: Betas = (0.9, 0.98)
    """Decay rates of the moment estimates."""
    eps: float = Field(1e-8, gt=0.0)
    """Added to the denominator."""


OptimizerSpec = OPTIMIZERS.union()
