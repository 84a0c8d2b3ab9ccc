"""Metric kinds: the quantities a probe can record and a clock can watch (DOMAIN.md's table).

Each metric says what it means, which experiments can produce it (`requires` asks the
model's and the task's capabilities and gives the reason it cannot, which the compiler
reports), how it is plotted, and the probe option that changes its values, if any.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from pydantic import Field

from clockspec.core.registry import Registry
from clockspec.ir.base import Strict, format_number
from clockspec.ir.models import MODELS
from clockspec.ir.tasks import TASKS


@dataclass(frozen=True)
class Range:
    """The values a metric can take (`sure`: by its definition), or usually takes (not
    `sure`: an estimate that can stray), and a hint for a threshold past it."""

    low: float | None = None
    high: float | None = None
    sure: bool = True
    hint: str | None = None

    def excludes(self, op: str, value: float) -> bool:
        """Whether `metric op value` can never hold."""
        if op in (">=", ">") and self.high is not None:
            return value > self.high or (op == ">" and value == self.high)
        if op in ("<=", "<") and self.low is not None:
            return value < self.low or (op == "<" and value == self.low)
        return False

    def words(self) -> str:
        if self.low is not None and self.high is not None:
            return f"lies in [{format_number(self.low)}, {format_number(self.high)}]"
        return f"is at least {format_number(self.low)}" if self.low is not None else (
            f"is at most {format_number(self.high)}" if self.high is not None else "takes any value")


FRACTION = Range(0.0, 1.0, hint="a fraction: write 0.99 for 99%")
NONNEGATIVE = Range(0.0)


@dataclass(frozen=True)
class Metric:
    name: str
    meaning: str
    # None when the experiment can produce it, else the reason it cannot.
    requires: Callable[[Any], str | None] = lambda spec: None
    log_scale: bool = False  # plotted on a log axis
    structural: bool = False  # a measure of the representation rather than of the fit
    option: str | None = None  # the `probes` field that changes what the values are
    # The option's value as the run uses it (given the model), and as a figure's title says it.
    resolve: Callable[[Any, Any], Any] = lambda value, model: value
    option_words: Callable[[Any], str] = str
    cost: str = ""  # the work a probe adds beyond the shared forward passes, as explain says it
    range: Range = Range()  # the values it can take: a clock threshold past them never fires
    unit: str = ""  # what a figure's y axis says it measures, in which unit (empty: its name says it)

    def option_value(self, spec: Any) -> Any:
        """The value of this metric's probe option in `spec`, resolved (None without an option)."""
        return self.resolve(getattr(spec.probes, self.option), spec.model) if self.option else None

    def title(self, probes: Any) -> str:
        """`pattern_flips (flip band 0.1)`: the name, with the option as written in the spec."""
        return f"{self.name} ({self.option_words(getattr(probes, self.option))})" if self.option else self.name


METRICS: Registry[Metric] = Registry("metric")


def register(metric: Metric) -> Metric:
    return METRICS.add(metric.name, metric)


def schatten_exponent(q: Any, model: Any) -> float | None:
    """q, with `auto` resolved to 2/L on a model that is a product of L matrices (else None)."""
    if q != "auto":
        return float(q)
    return 2.0 / model.linear_depth if model.linear_depth is not None else None


def _kinds(registry: Any, fact: Callable[[Any], bool]) -> str:
    """The kinds with `fact`, as a reader lists them: `a`, `a or b`, `a, b or c`."""
    names = registry.names_where(fact)
    return " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 2 else " or ".join(names)


def _end_to_end(spec: Any) -> str | None:
    if spec.model.linear_depth is None:
        names = _kinds(MODELS, lambda cls: cls.linear_depth is not None)
        return f"needs a {names} model (an end-to-end map), not {spec.model.kind}"
    return None


def _relu(spec: Any) -> str | None:
    if not spec.model.relu_units:
        act = getattr(spec.model, "activation", None)
        return f"needs a ReLU model, not {spec.model.kind}" + (f" with {act}" if act else "")
    return None


def _token_inputs(spec: Any) -> str | None:
    """Any model on a token task has a token table: its embedding, or its first layer's
    one-hot columns (Gromov's and Doshi's measure on an MLP)."""
    if not spec.task.token_inputs:
        return f"needs a {_kinds(TASKS, lambda cls: cls.token_inputs)} task, not {spec.task.kind}"
    return None


def _modular_addition(spec: Any) -> str | None:
    """Nanda's progress measures are defined for (a + b) mod p: the logits' cos/sin(w(a + b))."""
    if not spec.task.token_inputs or getattr(spec.task, "op", None) != "add" or spec.task.sizes()["arity"] != 2:
        return f"needs modular addition (op add), not {spec.task.summary()}"
    if spec.task.zero_free:
        return "needs modular addition over every pair (a, b); this task leaves out pairs with a zero operand"
    return None


def _attention(spec: Any) -> str | None:
    if not getattr(spec.model, "attends", False):
        return f"needs a model with attention ({_kinds(MODELS, lambda cls: getattr(cls, 'attends', False))}), not {spec.model.kind}"
    return None


def _classes(spec: Any) -> str | None:
    if spec.task.value_targets:
        return f"needs class labels, and task {spec.task.kind} has real-valued targets"
    return None


def _label_noise(spec: Any) -> str | None:
    if getattr(spec.task, "label_noise", None) is None:  # a field of every classification task
        return "needs label noise (task.label_noise) to tell the clean training labels from the noisy ones"
    return None


class LLCOptions(Strict):
    """How devinterp's SGLD sampler estimates the local learning coefficient (Lau et al. 2023)."""

    lr: float = Field(1e-4, gt=0.0, le=1.0)
    """SGLD step size."""
    localization: float = Field(100.0, ge=0.0)
    """gamma: the pull back towards the measured parameters."""
    n_beta: Optional[float] = Field(None, gt=0.0)
    """Inverse temperature times n; absent: n / ln n over the n training examples."""
    chains: int = Field(2, ge=1, le=64)
    """Independent SGLD chains (their mean is the estimate)."""
    draws: int = Field(100, ge=1, le=100_000)
    """SGLD steps per chain."""
    batch: int = Field(64, ge=1)
    """Training examples per SGLD step."""
    seed: int = Field(0, ge=0, le=2**31 - 1)
    """Seed of the chains (the run's own random state is left as it was)."""


def _llc_options(value: Any, model: Any) -> dict[str, Any]:
    return (value or LLCOptions()).model_dump()


def _llc_words(value: Any) -> str:
    options = value or LLCOptions()
    return f"SGLD lr {format_number(options.lr)}, gamma {format_number(options.localization)}"


def _devinterp(spec: Any) -> str | None:
    if importlib.util.find_spec("devinterp") is None:
        return "needs the optional devinterp package (pip install 'clockspec[llc]')"
    return None


def _embed(spec: Any) -> str | None:
    if not spec.model.embeds_tokens:
        return f"needs an {_kinds(MODELS, lambda cls: cls.embeds_tokens)} model (embedding + head), not {spec.model.kind}"
    return None


def _hidden_features(spec: Any) -> str | None:
    """The head must read a hidden layer: an MLP's last hidden activations, or a deep linear
    net's product of all but its last factor."""
    depth = spec.model.linear_depth or 0
    if depth >= 2 or getattr(spec.model, "hidden", None):
        return None
    return f"needs a model whose head reads a hidden layer (hidden layers or a deep linear net), not {spec.model.summary()}"


def _relu_modular_addition(spec: Any) -> str | None:
    if getattr(spec.model, "hidden", None) == []:
        return f"needs hidden ReLU neurons, and {spec.model.summary()} has no hidden layer"
    return _modular_addition(spec) or _relu(spec)


for _m in [
    Metric("train_loss", "training loss (the objective's data term)", log_scale=True, range=NONNEGATIVE),
    Metric("test_loss", "held-out loss", log_scale=True, range=NONNEGATIVE),
    Metric("train_acc", "training accuracy", requires=_classes, range=FRACTION, unit="fraction correct"),
    Metric("test_acc", "held-out accuracy", requires=_classes, range=FRACTION, unit="fraction correct"),
    Metric("margin", "min over training examples of logit[y] - max_{c != y} logit[c]", requires=_classes, unit="logit margin"),
    Metric("weight_norm", "sum over layers of squared Frobenius norms", structural=True, range=NONNEGATIVE, unit="sum of squared weights"),
    Metric(
        "schatten",
        "sum_k sigma_k(W)^q of the end-to-end map (q = 2/L by default)",
        requires=_end_to_end,
        structural=True,
        option="schatten_q",
        resolve=schatten_exponent,
        option_words=lambda q: f"q = {'2/L' if q == 'auto' else q}",
        range=NONNEGATIVE,
        unit="Σ σᵢ^q (end-to-end)",
    ),
    Metric(
        "balance",
        "sum_i ||W_{i+1}^T W_{i+1} - W_i W_i^T||_F: distance from a balanced factorisation",
        requires=_end_to_end,
        log_scale=True,
        structural=True,
        range=NONNEGATIVE,
        unit="‖WᵀW − WWᵀ‖ between layers",
    ),
    Metric(
        "effective_rank",
        "entropy effective rank (Roy-Vetterli) of the end-to-end map, else of the first layer",
        structural=True,
        range=NONNEGATIVE,
        unit="rank (entropy)",
    ),
    Metric(
        "fourier_sparsity",
        "share of the token table's energy (the embedding, or a one-hot first layer's columns) in its "
        "top-k DFT frequencies along the token axis",
        requires=_token_inputs,
        structural=True,
        option="fourier_top_k",
        option_words=lambda k: f"top {k} frequencies",
        range=FRACTION,
        unit="energy share",
    ),
    Metric(
        "restricted_loss",
        "Nanda's restricted loss: cross-entropy on all pairs of the logits keeping only cos/sin(w(a+b)) "
        "of the token table's top-k frequencies (and the constant)",
        requires=_modular_addition,
        log_scale=True,
        option="fourier_top_k",
        option_words=lambda k: f"top {k} frequencies",
        range=NONNEGATIVE,
        unit="cross-entropy (nats)",
    ),
    Metric(
        "excluded_loss",
        "Nanda's excluded loss: cross-entropy on the training pairs of the logits with cos/sin(w(a+b)) "
        "of the token table's top-k frequencies removed",
        requires=_modular_addition,
        log_scale=True,
        option="fourier_top_k",
        option_words=lambda k: f"top {k} frequencies",
        range=NONNEGATIVE,
        unit="cross-entropy (nats)",
    ),
    Metric(
        "attention_entropy",
        "mean over heads of the entropy (nats) of the readout position's attention, averaged over the "
        "training set; each head's as attention_entropy.<block>.<head>",
        requires=_attention,
        structural=True,
        range=NONNEGATIVE,
        unit="entropy (nats)",
    ),
    Metric(
        "layer_norms",
        "largest Frobenius norm of a layer matrix; each layer's as layer_norms.<layer>",
        structural=True,
        range=NONNEGATIVE,
        unit="Frobenius norm",
    ),
    Metric(
        "pattern_flips",
        "fraction of training-set ReLU bits changed since the previous probe",
        requires=_relu,
        log_scale=True,
        structural=True,
        option="flip_band",
        option_words=lambda band: f"flip band {band:g}",
        range=FRACTION,
        unit="fraction of ReLU bits",
    ),
    Metric(
        "grad_ratio",
        "gradient norm of the head / gradient norm of the embedding",
        requires=_embed,
        log_scale=True,
        range=NONNEGATIVE,
        unit="head / embedding",
    ),
    Metric("train_acc_clean", "training accuracy on the examples whose labels the label noise left alone",
           requires=_label_noise, range=FRACTION, unit="fraction correct"),
    Metric("train_acc_noisy", "training accuracy on the examples with replaced labels (fitting the noise)",
           requires=_label_noise, range=FRACTION, unit="fraction correct"),
    Metric("llc", "local learning coefficient of the training loss at the current parameters (devinterp's SGLD "
           "estimate; expensive: give it a cadence)", requires=_devinterp, structural=True, option="llc",
           resolve=_llc_options, option_words=_llc_words,
           range=Range(0.0, sure=False, hint="an SGLD estimate is usually positive, but can come out below 0")),
    Metric(
        "collapse_share",
        "share of training examples whose loss, or whose gradient with respect to the logits, is exactly zero "
        "in the precision the loss is computed in (Prieto et al. 2025's softmax collapse; with the hinge, every "
        "example past margin 1)",
        requires=_classes,
        cost="one backward pass to the logits and one loss call per training example: give it a cadence on "
             "large training sets",
        range=FRACTION,
        unit="share of training examples",
    ),
    Metric(
        "grad_weight_cosine",
        "cosine between the descent direction -grad L (the training loss on the whole training set, no penalty) "
        "and the parameters theta: near 1 when the update only scales the weights (Prieto et al. 2025's naive "
        "loss minimisation)",
        cost="one forward and backward pass over the training set",
        range=Range(-1.0, 1.0),
        unit="cosine",
    ),
    Metric(
        "init_distance",
        "||theta - theta_0||: Euclidean distance of all parameters from their initial values (hidden progress)",
        structural=True,
        cost="a copy of the initial parameters, kept in the checkpoint",
        range=NONNEGATIVE,
        unit="‖θ − θ₀‖",
    ),
    Metric(
        "kernel_alignment",
        "centred kernel alignment of the last hidden features' Gram matrix with the targets' (one-hot labels, or "
        "the real targets) over the training set, in [0, 1] (lazy -> rich: Kumar et al. 2024)",
        requires=_hidden_features,
        structural=True,
        cost="one forward pass over the training set",
        range=FRACTION,
        unit="alignment",
    ),
    Metric(
        "neuron_frequencies",
        "Nanda's neuron-based key frequencies: how many distinct frequencies the last hidden layer's ReLU neurons "
        "are best explained by over all p^2 pairs (each live neuron's centred activations, the frequency whose "
        "linear and product terms hold most of its variance); each neuron's best share, averaged, as "
        "neuron_frequencies.explained",
        requires=_relu_modular_addition,
        structural=True,
        cost="a forward pass over all p^2 pairs and a 2-D DFT per neuron: give it a cadence",
        range=NONNEGATIVE,
        unit="frequencies",
    ),
]:
    register(_m)

METRIC_NAMES = tuple(METRICS)


def unmeasurable(spec: Any) -> list[tuple[tuple, str, str | None]]:
    """(IR path, message, the word of a clock's text to point at) for each recorded metric
    and each clock's metric that this experiment cannot produce: the compiler's check, and
    the validator's when other fields failed too (all errors in one pass)."""
    out: list[tuple[tuple, str, str | None]] = []
    for i, name in enumerate(spec.probes.metrics):
        if reason := METRICS[name].requires(spec):
            out.append((("probes", "metrics", i), f"metric '{name}' cannot be measured here: {reason}", None))
    for clock_name, clock in spec.clocks.items():
        if reason := METRICS[clock.metric].requires(spec):
            out.append((("clocks", clock_name), f"clock '{clock_name}' watches '{clock.metric}', which cannot be "
                        f"measured here: {reason}", clock.metric))
    return out
