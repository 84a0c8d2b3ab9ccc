"""The IR: the single source of truth that both syntaxes parse into and print from.

Every default is filled in on validation, so two specs that mean the same thing are equal
as IR (and hash the same), however they were written.
"""
from __future__ import annotations

import math
import random
import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, Field, WithJsonSchema, field_validator, model_validator
from pydantic.fields import FieldInfo

from clockspec.ir import plugins
from clockspec.ir.base import KindRegistry, Strict, field_error
from clockspec.ir.clocks import ClockName, ClockSpec
from clockspec.ir.interventions import Interventions
from clockspec.ir.losses import LOSSES, LossName
from clockspec.ir.metrics import METRIC_NAMES, METRICS, LLCOptions
from clockspec.ir.models import MODELS, ModelSpec
from clockspec.ir.optimizers import OPTIMIZERS, OptimizerSpec
from clockspec.ir.phases import PhaseRule
from clockspec.ir.refine import Refine
from clockspec.ir.regularizers import REGULARIZERS, Regularizers
from clockspec.ir.task_zoo import TaskSpec
from clockspec.ir.tasks import MAX_SEED, TASKS

SCHEMA_VERSION = 1
# Names become directory names: keep them to a safe alphabet (no '/', no '..').
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=80)]
MetricName = Literal[METRIC_NAMES]  # type: ignore[valid-type]
DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:[0-9]+)?)$")


class Train(Strict):
    steps: int = Field(10_000, ge=1, le=100_000_000)
    """Optimizer steps to run."""
    batch: Union[Literal["full"], Annotated[int, Field(ge=1)]] = "full"
    """`full` (the whole training set every step) or a minibatch size."""
    loss: LossName = "cross_entropy"
    """The training loss: `mse` is torch's MSELoss (mean over examples and outputs); `mse_half_sum` is (1/2) sum over outputs, mean over examples; `stablemax` is cross-entropy through StableMax (Prieto et al. 2025), `hinge` the multiclass margin hinge."""
    dtype: Literal["float32", "float64"] = "float32"
    """Floating-point precision of parameters and data."""
    loss_dtype: Optional[Literal["float32", "float64"]] = None
    """Precision the loss is computed in, from the logits on (absent: the model's `dtype`)."""
    compile: Union[bool, Literal["auto"]] = "auto"
    """torch.compile the training step: `auto` when the run is long enough to pay for compiling (docs/runtime.md, "Compiled steps"), or `true` / `false`. The choice is in the plan's execution and the train hash."""


class Probes(Strict):
    """When to measure, and what to measure besides what the clocks need."""

    schedule: Literal["every", "log"] = "every"
    """`every`: a probe each `every` steps; `log`: about `points` log-spaced probes. Step 0 and the last step are always probed."""
    every: int = Field(100, ge=1)
    """Steps between probes (schedule `every`)."""
    points: int = Field(100, ge=2, le=100_000)
    """Number of log-spaced probes (schedule `log`)."""
    metrics: list[MetricName] = Field(default_factory=list, json_schema_extra={"uniqueItems": True})  # _no_repeats
    """Metrics to record besides those the clocks need."""
    cadence: Optional[dict[MetricName, Annotated[int, Field(ge=1)]]] = None
    """Metric -> steps between its probes, a multiple of `every`: an expensive metric measured less often (step 0 always)."""
    flip_band: float = Field(0.0, ge=0.0)
    """pattern_flips ignores units whose |pre-activation| is below this band."""
    fourier_top_k: int = Field(4, ge=1)
    """fourier_sparsity: the energy share of the top-k frequencies."""
    schatten_q: Union[float, Literal["auto"]] = "auto"
    """Exponent q of the schatten metric; `auto` is 2/L for a depth-L deep linear net."""
    llc: Optional[LLCOptions] = None
    """The llc metric's sampler settings; absent: the defaults below."""

    @property
    def uses_total_steps(self) -> str | None:
        """Why the probe steps depend on `train.steps` beyond the last one, or None."""
        return "its log-spaced probes are placed over train.steps" if self.schedule == "log" else None

    @field_validator("cadence")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        """`cadence: {}` says what leaving it out says: one IR for both."""
        return value or None

    @model_validator(mode="after")
    def _cadence_on_the_schedule(self) -> Probes:
        for name, steps in (self.cadence or {}).items():
            if self.schedule != "every":
                raise field_error("cadence", "a metric's own cadence needs schedule: every (a log schedule has no "
                                  "common step)", "drop probes.cadence, or use schedule: every")
            if steps % self.every:
                raise field_error("cadence", f"cadence of '{name}' is {steps} steps, not a multiple of probes.every "
                                  f"= {self.every}: it would fall between probes",
                                  f"use {max(1, round(steps / self.every)) * self.every}")
        return self

    @field_validator("metrics")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        seen = [m for i, m in enumerate(value) if m in value[:i]]
        if seen:
            raise ValueError(f"metric '{seen[0]}' listed twice")
        return value


class Stop(Strict):
    after: list[ClockName] = Field(default_factory=list)
    """Stop once all of these clocks have fired."""
    patience: int = Field(0, ge=0)
    """... and this many more steps have run."""


class Snapshots(Strict):
    """Copies of the model kept while training: at the probe where each named clock fires,
    and on a schedule, within a disk budget (docs/runtime.md, Snapshots)."""

    at: list[ClockName] = Field(default_factory=list, max_length=100)
    """Clocks at whose firing probe the model is saved (online clocks only)."""
    every: int = Field(0, ge=0)
    """Also save at the first probe at or after every multiple of this many steps (0: never)."""
    keep: int = Field(10, ge=1, le=10_000)
    """At most this many snapshots; past it the oldest scheduled ones go first, clock ones last."""
    max_mb: float = Field(1000.0, gt=0, le=1e7)
    """Disk budget of all snapshots of the run, in MiB, kept the same way."""


def _installed(requirement: str) -> str:
    problem = plugins.requirement_problem(requirement)
    if problem is not None:
        raise ValueError(problem)
    return requirement


# A distribution this spec's kinds come from, as pip names it: met by what is installed.
PluginRequirement = Annotated[str, Field(max_length=200), AfterValidator(_installed)]


def _default_optimizer() -> Any:
    from clockspec.ir.optimizers import AdamW

    return AdamW(kind="adamw")


class Experiment(Strict):
    """One training run and the clocks to measure on it."""

    clockspec: Literal[1] = SCHEMA_VERSION
    """Schema version of the spec language."""
    name: Name
    """The run's name (letters, digits, `_`, `-`); it names the run directory."""
    description: str = Field("", max_length=10_000)
    """Free text for people."""
    tags: list[Annotated[str, Field(max_length=80)]] = Field(default_factory=list, max_length=100)
    """Labels for finding runs."""
    seed: int = Field(0, ge=0, le=2**63 - 1)
    """Seed of initialisation and data order."""
    device: str = Field("auto", json_schema_extra={"pattern": DEVICE_RE.pattern})
    """`auto`, `cpu`, `mps`, `cuda` or `cuda:N`; `auto` picks the best available."""
    task: TaskSpec
    """What data to train on (a kind, see below)."""
    model: ModelSpec
    """What to train (a kind, see below)."""
    regularizers: Regularizers = Field(default_factory=Regularizers)  # type: ignore[valid-type]
    """The regularizers that are on, keyed by kind; absent means off."""
    interventions: Optional[Interventions] = None  # type: ignore[valid-type]
    """Changes to the training step, keyed by kind (weight_norm, grad_clip); absent means none."""
    optimizer: OptimizerSpec = Field(default_factory=_default_optimizer)
    """How to train (a kind, see below)."""
    train: Train = Field(default_factory=Train)
    """Length, batch, loss and precision of training."""
    probes: Probes = Field(default_factory=Probes)
    """When to measure and what."""
    clocks: dict[ClockName, ClockSpec] = Field(default_factory=dict, json_schema_extra={"additionalProperties": False})
    """Named clock expressions (see Clock expressions)."""
    stop: Stop = Field(default_factory=Stop)
    """When to stop early."""
    snapshots: Optional[Snapshots] = None
    """Model snapshots to keep while training (absent: only the checkpoint of an unfinished run)."""
    # left out of every dump when absent, so no spec that lists none prints or stores it
    plugins: Optional[list[PluginRequirement]] = Field(None, max_length=100, exclude_if=lambda value: value is None)
    """The plugins this spec's kinds come from, as pip names them (`clockspec-resmlp==0.1.0`): each must be installed, at a matching version, and a kind nothing installed provides is told which to install. The installed version is in the train hash whether listed or not."""

    @field_validator("interventions")
    @classmethod
    def _none_is_absent(cls, value: Any) -> Any:
        """`interventions: {}` says what leaving it out says: one IR for both."""
        return None if value is not None and not any(v is not None for _, v in value) else value

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not DEVICE_RE.match(value):
            raise ValueError(f"'{value}' is not a device; expected auto, cpu, mps, cuda or cuda:N")
        return value

    def compile(self, **options: Any) -> Any:
        """This experiment's Plan (see `clockspec.compiler.plan.compile`).

        The IR sits below the compiler, so the compiler installs itself here when it is
        imported (`import clockspec` does that) instead of the IR importing it."""
        if _COMPILER is None:
            raise RuntimeError("no compiler installed: import clockspec first")
        return _COMPILER(self, **options)


_COMPILER: Any = None


def install_compiler(compile_fn: Any) -> None:
    """Make `Experiment.compile` call `compile_fn` (called once, by clockspec.compiler.plan)."""
    global _COMPILER
    _COMPILER = compile_fn


# ---- families -------------------------------------------------------------------------

Path = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
# Distribution kinds of `vary.random`: each draws one value from the family's seeded generator.
DISTRIBUTIONS = KindRegistry("distribution", required=("draw",))


@DISTRIBUTIONS.register
class Choice(Strict):
    """One of the listed values, each equally likely."""

    kind: Literal["choice"]
    values: list[Any] = Field(min_length=1)
    """The values to draw from, uniformly."""

    def draw(self, rng: random.Random) -> Any:
        return self.values[rng.randrange(len(self.values))]


@DISTRIBUTIONS.register
class Uniform(Strict):
    """A number drawn uniformly from [low, high]."""

    kind: Literal["uniform"]
    low: float
    """Lower end."""
    high: float
    """Upper end."""

    def draw(self, rng: random.Random) -> float:
        return self.low + (self.high - self.low) * rng.random()


@DISTRIBUTIONS.register
class LogUniform(Strict):
    """A number drawn log-uniformly from [low, high]: as likely in [1e-4, 1e-3] as in [1e-3, 1e-2]."""

    kind: Literal["loguniform"]
    low: float = Field(gt=0.0)
    """Lower end (> 0); drawn uniformly in log space."""
    high: float = Field(gt=0.0)
    """Upper end (> 0)."""

    def draw(self, rng: random.Random) -> float:
        return math.exp(math.log(self.low) + (math.log(self.high) - math.log(self.low)) * rng.random())


@DISTRIBUTIONS.register
class IntRange(Strict):
    """A whole number drawn uniformly from low to high, both included."""

    kind: Literal["int"]
    low: int
    """Lowest whole number."""
    high: int  # inclusive
    """Highest whole number (inclusive)."""

    def draw(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)


Distribution = DISTRIBUTIONS.union()


class RandomDraws(Strict):
    """`n` members, each param drawn from its distribution with a seeded generator."""

    n: int = Field(ge=1, le=100_000)
    """Number of members to draw."""
    seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the draws."""
    params: dict[Path, Distribution] = Field(min_length=1)
    """Dotted path -> the distribution to draw it from."""


# An axis's values: `check` says "'PATH' has no values" of an empty one (syntax/family_rules.py);
# the schema says it as minItems.
Values = Annotated[list[Any], WithJsonSchema({"type": "array", "minItems": 1})]


class Vary(Strict):
    """Combinators over dotted IR paths; those present are combined by product in this
    field order, the first varying slowest (so a seed `grid` keeps each configuration's
    seeds side by side). See docs/families.md."""

    one_at_a_time: Optional[dict[Path, Values]] = None
    """Dotted path -> values; the base once, then each value of each axis alone."""
    zip: Optional[dict[Path, Values]] = None
    """Dotted path -> values; axes of equal length, taken in step."""
    random: Optional[RandomDraws] = None
    """Seeded random draws of every param."""
    grid: Optional[dict[Path, Values]] = None
    """Dotted path -> values; the product of the axes, the last varying fastest."""
    refine: Optional[Refine] = None
    """A two-axis region sampled adaptively toward its phase boundaries (alone: no other combinator)."""


class Family(Strict):
    """A base experiment and the variations that make its members."""

    clockspec: Literal[1] = SCHEMA_VERSION
    """Schema version of the spec language."""
    family: Name
    """The family's name; members are named after it."""
    description: str = Field("", max_length=10_000)
    """Free text for people."""
    base: Union[Annotated[str, Field(max_length=4096)], Experiment]
    """The base experiment: a path relative to this file, or an inline experiment."""
    vary: Vary = Field(default_factory=Vary)
    """The variations that make the members."""
    exclude: list[Annotated[str, Field(max_length=1000)]] = Field(default_factory=list)
    """Predicates over a member's settings; members that match are left out."""
    name_template: Optional[Annotated[str, Field(max_length=200)]] = None
    """How members are named; by default from the family name and the varied values."""
    phases: Optional[dict[Name, PhaseRule]] = Field(None, max_length=32)
    """Phase name -> rule over the members' clocks (docs/phases.md); a refine family without
    it uses Liu et al. 2022's four."""


Spec = Union[Experiment, Family]


# The fields that hold one kind of a registry, and the registry.
KIND_FIELDS = {"task": TASKS, "model": MODELS, "optimizer": OPTIMIZERS}
# Every family a plugin can add kinds to: those unions, and the names metrics, losses and
# regularizers are chosen by (`_refresh_names`).
PLUGIN_FAMILIES = {**KIND_FIELDS, "metric": METRICS, "loss": LOSSES, "regularizer": REGULARIZERS}


def refresh_kinds() -> None:
    """Rebuild the validators of `Experiment` and `Family` from the registries.

    The unions and name lists are built when the IR is imported; a kind registered (or
    removed) later, as a plugin's or a test's scratch kind is, validates once this ran."""
    for name, registry in KIND_FIELDS.items():
        Experiment.model_fields[name].annotation = registry.members()
    _refresh_names()
    Experiment.model_rebuild(force=True)
    Family.model_rebuild(force=True)


def _refresh_names() -> None:
    """The metric and loss names a spec may write, and one `regularizers` field per regularizer
    kind, from their registries (the same types as at import when nothing was added)."""
    metric = Literal[tuple(METRICS)]  # type: ignore[valid-type]
    Probes.model_fields["metrics"].annotation = list[metric]
    Probes.model_fields["cadence"].annotation = Optional[dict[metric, Annotated[int, Field(ge=1)]]]
    Train.model_fields["loss"].annotation = Literal[tuple(LOSSES)]  # type: ignore[valid-type]
    fields = Regularizers.model_fields
    for name in [name for name in fields if name not in REGULARIZERS]:
        del fields[name]
    for name, cls in REGULARIZERS.items():
        if name not in fields:
            fields[name] = FieldInfo.from_annotated_attribute(Optional[cls], None)
    for model in (Probes, Train, Regularizers):
        model.model_rebuild(force=True)


if plugins.load_ir(PLUGIN_FAMILIES):  # a plugin's kinds validate like clockspec's own
    refresh_kinds()
