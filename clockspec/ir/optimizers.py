"""Optimizer kinds (with their learning-rate schedule), and every fact the compiler asks of one.

An optimizer gives the state tensors it keeps per parameter tensor (`state_tensors`, for
the memory estimate), which fields may differ inside a batch (`per_member_fields`), whether its steps are per-coordinate adaptive
(`adaptive`) or plain gradient descent (`plain_gradient_descent`, what the theory's rates
assume), and its plain-language description (`describe`).
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional

from pydantic import Field

from clockspec.ir.base import KindRegistry, Strict, format_number

OPTIMIZERS = KindRegistry("optimizer", required=(
    "state_tensors", "per_member_fields", "adaptive", "plain_gradient_descent", "describe"))

Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
# A pair written as a list (strict mode would want a Python tuple); each beta stays strict.
Betas = Annotated[tuple[Beta, Beta], Field(strict=False)]
Schedule = Literal["constant", "warmup", "cosine"]


class Grokfast(Strict):
    """Grokfast-EMA (Lee et al. 2024): before each update, ema <- alpha * ema + (1 - alpha) * g
    (ema starts at the first gradient), then g <- g + lamb * ema."""

    alpha: float = Field(0.98, ge=0.0, lt=1.0)
    """Momentum of the gradient's moving average."""
    lamb: float = Field(2.0, ge=0.0, le=1e3)
    """How much of the average is added to the gradient."""

    def describe(self) -> str:
        return f"; Grokfast EMA filter (alpha {format_number(self.alpha)}, lambda {format_number(self.lamb)})"


class PerpGrad(Strict):
    """⊥Grad (Prieto et al. 2025, "Grokking at the edge of numerical stability"): before each
    update, each parameter tensor's gradient loses its component along that tensor,
    g <- g - (w . g / w . w) w, so no step only scales the weights (their naive loss
    minimisation direction); then it is rescaled to the norm it had, as the authors'
    OrthoGrad wrapper does."""

    rescale: bool = True
    """Give the projected gradient the norm of the gradient (the authors' code); false: the bare projection."""

    def describe(self) -> str:
        kept = ", rescaled to the gradient's norm" if self.rescale else ""
        return f"; ⊥Grad: each parameter tensor's gradient projected orthogonal to the tensor{kept}"


class OptimizerBase(Strict):
    """What every optimizer kind has (the rate, its schedule, Grokfast, ⊥Grad), which the training
    step and the plan read of any kind: a plugin's optimizer derives from it too."""

    lr: float = Field(1e-3, gt=0.0, le=1e3)
    """Learning rate (the peak, under a schedule)."""
    schedule: Schedule = "constant"
    """`constant`, `warmup` (linear from 0 over warmup_steps) or `cosine` (after the warmup)."""
    warmup_steps: int = Field(0, ge=0)
    """Steps of linear warmup."""
    grokfast: Optional[Grokfast] = None
    """Amplify the slow part of the gradient (Grokfast-EMA) before each update; absent: off."""
    perp_grad: Optional[PerpGrad] = None
    """⊥Grad: remove from each parameter tensor's gradient its component along the tensor, after Grokfast and
    before the update (`{}` turns it on); absent: off."""

    per_member_fields: ClassVar[tuple[str, ...]] = ("lr",)


    def filter_words(self) -> str:
        return "".join(t.describe() for t in (self.grokfast, self.perp_grad) if t is not None)

    @property
    def transforms_gradient(self) -> bool:
        """Whether Grokfast or ⊥Grad changes the gradient before the rule (no longer plain descent)."""
        return self.grokfast is not None or self.perp_grad is not None

    @property
    def uses_total_steps(self) -> str | None:
        """Why the updates depend on `train.steps` (a longer run then differs from step 0), or None."""
        return "its cosine schedule decays the learning rate to zero at train.steps" if self.schedule == "cosine" else None


@OPTIMIZERS.register
class SGD(OptimizerBase):
    kind: Literal["sgd"]
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    """Momentum factor."""
    nesterov: bool = False
    """Nesterov momentum."""

    adaptive: ClassVar[bool] = False

    @property
    def state_tensors(self) -> int:
        """The momentum buffer, when there is momentum."""
        return 1 if self.momentum > 0 else 0

    @property
    def plain_gradient_descent(self) -> bool:
        return self.momentum == 0.0 and not self.transforms_gradient

    def describe(self) -> str:
        out = f"{self.kind} at lr {format_number(self.lr)}"
        if self.momentum:
            out += f", momentum {format_number(self.momentum)}" + (" (Nesterov)" if self.nesterov else "")
        return out + self.filter_words()


class _Moments(OptimizerBase):
    """Adam and AdamW: two moment estimates per parameter, per-coordinate adaptive steps."""

    adaptive: ClassVar[bool] = True
    state_tensors: ClassVar[int] = 2
    plain_gradient_descent: ClassVar[bool] = False

    torch_betas: ClassVar[tuple[float, float]] = (0.9, 0.999)  # torch.optim.Adam's and AdamW's default

    def describe(self) -> str:
        betas = f"betas ({format_number(self.betas[0])}, {format_number(self.betas[1])})"
        if tuple(self.betas) != self.torch_betas:
            betas += f" (torch's default is ({', '.join(map(format_number, self.torch_betas))}))"
        return f"{self.kind} at lr {format_number(self.lr)}, {betas}" + self.filter_words()


@OPTIMIZERS.register
class Adam(_Moments):
    kind: Literal["adam"]
    betas: Betas = (0.9, 0.999)
    """Decay rates of the moment estimates."""
    eps: float = Field(1e-8, gt=0.0)
    """Added to the denominator."""


@OPTIMIZERS.register
class AdamW(_Moments):
    kind: Literal["adamw"]
    betas: Betas = (0.9, 0.98)
    """Decay rates of the moment estimates."""
    eps: float = Field(1e-8, gt=0.0)
    """Added to the denominator."""


@OPTIMIZERS.register
class Lion(OptimizerBase):
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2):
    the sign of an interpolated momentum, one state tensor per parameter."""

    kind: Literal["lion"]
    lr: float = Field(1e-4, gt=0.0, le=1e3)
    """Learning rate (the peak, under a schedule); the paper's are 3-10x smaller than AdamW's."""
    betas: Betas = (0.9, 0.99)
    """beta1 interpolates the update's momentum, beta2 decays the kept one."""

    adaptive: ClassVar[bool] = True
    state_tensors: ClassVar[int] = 1
    plain_gradient_descent: ClassVar[bool] = False

    def describe(self) -> str:
        betas = f"betas ({format_number(self.betas[0])}, {format_number(self.betas[1])})"
        return f"lion at lr {format_number(self.lr)}, {betas} (sign of the momentum)" + self.filter_words()


OptimizerSpec = OPTIMIZERS.union()
