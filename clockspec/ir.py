"""The IR: the single source of truth that both syntaxes parse into and print from.

Every default is filled in on validation, so two specs that mean the same thing are equal
as IR (and hash the same), however they were written.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, field_validator

from .kinds import Strict
from .kinds.clocks import ClockName, ClockSpec
from .kinds.metrics import METRIC_NAMES
from .kinds.models import ModelSpec
from .kinds.optimizers import OptimizerSpec
from .kinds.regularizers import Regularizers
from .kinds.tasks import TaskSpec

SCHEMA_VERSION = 1
# Names become directory names: keep them to a safe alphabet (no '/', no '..').
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=80)]
MetricName = Literal[METRIC_NAMES]  # type: ignore[valid-type]
DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:[0-9]+)?)$")


class Train(Strict):
    steps: int = Field(10_000, ge=1, le=100_000_000)
    batch: Union[Literal["full"], Annotated[int, Field(ge=1)]] = "full"
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"
    dtype: Literal["float32", "float64"] = "float32"


class Probes(Strict):
    """When to measure, and what to measure besides what the clocks need."""

    schedule: Literal["every", "log"] = "every"
    every: int = Field(100, ge=1)  # schedule 'every': a probe each N steps (and at step 0 and the end)
    points: int = Field(100, ge=2, le=100_000)  # schedule 'log': about N log-spaced probes
    metrics: list[MetricName] = Field(default_factory=list)
    flip_band: float = Field(0.0, ge=0.0)  # pattern_flips ignores units with |pre-activation| below it
    fourier_top_k: int = Field(4, ge=1)  # fourier_sparsity: energy share of the top-k frequencies
    schatten_q: Union[float, Literal["auto"]] = "auto"  # auto: 2/L for a depth-L deep linear net

    @field_validator("metrics")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        seen = [m for i, m in enumerate(value) if m in value[:i]]
        if seen:
            raise ValueError(f"metric '{seen[0]}' listed twice")
        return value


class Stop(Strict):
    after: list[ClockName] = Field(default_factory=list)  # stop once all of these clocks fired
    patience: int = Field(0, ge=0)  # ... and this many more steps have run


def _default_optimizer() -> Any:
    from .kinds.optimizers import AdamW

    return AdamW(kind="adamw")


class Experiment(Strict):
    """One training run and the clocks to measure on it."""

    clockspec: Literal[1] = SCHEMA_VERSION
    name: Name
    description: str = Field("", max_length=10_000)
    tags: list[Annotated[str, Field(max_length=80)]] = Field(default_factory=list, max_length=100)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    device: str = "auto"
    task: TaskSpec
    model: ModelSpec
    regularizers: Regularizers = Field(default_factory=Regularizers)  # type: ignore[valid-type]
    optimizer: OptimizerSpec = Field(default_factory=_default_optimizer)
    train: Train = Field(default_factory=Train)
    probes: Probes = Field(default_factory=Probes)
    clocks: dict[ClockName, ClockSpec] = Field(default_factory=dict)
    stop: Stop = Field(default_factory=Stop)

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not DEVICE_RE.match(value):
            raise ValueError(f"device '{value}' is not one of auto, cpu, mps, cuda, cuda:N")
        return value

    def compile(self, **options: Any) -> Any:
        """This experiment's Plan (see `clockspec.plan.compile`)."""
        from .plan import compile

        return compile(self, **options)


# ---- families -------------------------------------------------------------------------

Path = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]


class Choice(Strict):
    kind: Literal["choice"]
    values: list[Any] = Field(min_length=1)


class Uniform(Strict):
    kind: Literal["uniform"]
    low: float
    high: float


class LogUniform(Strict):
    kind: Literal["loguniform"]
    low: float = Field(gt=0.0)
    high: float = Field(gt=0.0)


class IntRange(Strict):
    kind: Literal["int"]
    low: int
    high: int  # inclusive


Distribution = Annotated[Union[Choice, Uniform, LogUniform, IntRange], Field(discriminator="kind")]


class RandomDraws(Strict):
    n: int = Field(ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    params: dict[Path, Distribution] = Field(min_length=1)


class Vary(Strict):
    """Combinators; those present are combined by product, in this order."""

    grid: Optional[dict[Path, list[Any]]] = None
    zip: Optional[dict[Path, list[Any]]] = None
    one_at_a_time: Optional[dict[Path, list[Any]]] = None
    random: Optional[RandomDraws] = None


class Family(Strict):
    """A base experiment and the variations that make its members."""

    clockspec: Literal[1] = SCHEMA_VERSION
    family: Name
    description: str = Field("", max_length=10_000)
    base: Union[Annotated[str, Field(max_length=4096)], Experiment]
    vary: Vary = Field(default_factory=Vary)
    exclude: list[Annotated[str, Field(max_length=1000)]] = Field(default_factory=list)
    name_template: Optional[Annotated[str, Field(max_length=200)]] = None


Spec = Union[Experiment, Family]
