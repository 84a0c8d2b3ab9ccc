"""Metric kinds: the quantities a probe can record and a clock can watch (DOMAIN.md's table).

Each metric says what it means and which experiments can produce it; the compiler uses
`requires` to refuse, with a reason, a metric the model or task cannot produce.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clockspec.ir.models import RELU_FAMILY


@dataclass(frozen=True)
class Metric:
    name: str
    meaning: str
    # None when the experiment can produce it, else the reason it cannot.
    requires: Callable[[Any], str | None] = lambda spec: None
    log_scale: bool = False  # plotted on a log axis
    structural: bool = False  # a measure of the representation rather than of the fit


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} registered twice")
    METRICS[metric.name] = metric
    return metric


def _deep_linear(spec: Any) -> str | None:
    if spec.model.kind != "deep_linear":
        return f"needs a deep_linear model (an end-to-end map), not {spec.model.kind}"
    return None


def _relu(spec: Any) -> str | None:
    act = getattr(spec.model, "activation", None)
    if act not in RELU_FAMILY:
        return f"needs a ReLU model, not {spec.model.kind}" + (f" with {act}" if act else "")
    return None


def _modular_embedding(spec: Any) -> str | None:
    if spec.task.kind != "modular":
        return f"needs a modular task, not {spec.task.kind}"
    if spec.model.kind != "embed_mlp":
        return f"needs an embedding model (embed_mlp), not {spec.model.kind}"
    return None


def _embed(spec: Any) -> str | None:
    if spec.model.kind != "embed_mlp":
        return f"needs an embed_mlp model (embedding + head), not {spec.model.kind}"
    return None


for _m in [
    Metric("train_loss", "training loss (the objective's data term)", log_scale=True),
    Metric("test_loss", "held-out loss", log_scale=True),
    Metric("train_acc", "training accuracy"),
    Metric("test_acc", "held-out accuracy"),
    Metric("margin", "min over training examples of logit[y] - max_{c != y} logit[c]"),
    Metric("weight_norm", "sum over layers of squared Frobenius norms", structural=True),
    Metric(
        "schatten",
        "sum_k sigma_k(W)^q of the end-to-end map (q = 2/L by default)",
        requires=_deep_linear,
        structural=True,
    ),
    Metric(
        "balance",
        "sum_i ||W_{i+1}^T W_{i+1} - W_i W_i^T||_F: distance from a balanced factorisation",
        requires=_deep_linear,
        log_scale=True,
        structural=True,
    ),
    Metric(
        "effective_rank",
        "entropy effective rank (Roy-Vetterli) of the end-to-end map, else of the first layer",
        structural=True,
    ),
    Metric(
        "fourier_sparsity",
        "share of the embedding's energy in its top-k DFT frequencies along the token axis",
        requires=_modular_embedding,
        structural=True,
    ),
    Metric(
        "pattern_flips",
        "fraction of training-set ReLU bits changed since the previous probe",
        requires=_relu,
        log_scale=True,
        structural=True,
    ),
    Metric(
        "grad_ratio",
        "gradient norm of the head / gradient norm of the embedding",
        requires=_embed,
        log_scale=True,
    ),
]:
    register(_m)

METRIC_NAMES = tuple(METRICS)
