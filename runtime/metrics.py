"""Metric functions: one registered function per metric of DOMAIN.md's table.

A probe measures the model as it is at step t (after t optimizer steps), under `no_grad`, on
the full train and test sets; forward passes are shared between metrics through
`ProbeContext`. `grad_ratio` reads the gradients of the training objective at the same
parameters, which the loop has just computed for step t's update and not yet applied.
A metric that is undefined at a probe (pattern_flips at the first one) is None. Metrics ask
the model only what the `Model` protocol declares; one that needs a capability the model
lacks (an embedding, a linear factorisation) stops the run with an error that names it.
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import torch

from clockspec.core.registry import Registry
from clockspec.ir.metrics import LLCOptions
from clockspec.runtime.linalg import auto_q, imbalance, schatten_energy
from clockspec.runtime.linalg import effective_rank as erank
from clockspec.runtime.models import Model, require
from clockspec.runtime.objective import Loss
from clockspec.runtime.tasks import Dataset

METRICS = Registry("runtime metric")


class ProbeContext:
    def __init__(self, model: Model, data: Dataset, loss: Loss, options: Any, memory: dict[str, Any]):
        self.model = model
        self.data = data
        self.loss = loss
        self.options = options  # the spec's `probes` (flip_band, fourier_top_k, schatten_q)
        self.memory = memory  # what stateful metrics keep from one probe to the next

    @cached_property
    def _train(self) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return self.model.forward_with_preacts(self.data.x_train)

    @property
    def train_logits(self) -> torch.Tensor:
        return self._train[0]

    @property
    def train_preacts(self) -> list[torch.Tensor]:
        return self._train[1]

    @cached_property
    def test_logits(self) -> torch.Tensor:
        return self.model(self.data.x_test)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(1) == labels).double().mean()


def margins(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """logit[y] - max_{c != y} logit[c], per example."""
    correct = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf")).amax(1)
    return correct - others


def fourier_energy(table: torch.Tensor) -> torch.Tensor:
    """Energy of each frequency of a (p x d) table along its token axis.

    A real signal's frequencies k and p - k are one oscillation: they are counted together,
    so a table built from one cosine/sine pair has all its energy in one frequency.
    """
    p = table.shape[0]
    power = torch.fft.rfft(table, dim=0).abs().square().sum(1)
    paired = torch.ones_like(power) * 2
    paired[0] = 1  # the mean (k = 0) has no partner
    if p % 2 == 0:
        paired[-1] = 1  # nor has k = p/2
    return power * paired


@METRICS.register("train_loss")
def train_loss(ctx: ProbeContext):
    return ctx.loss(ctx.train_logits, ctx.data.y_train)


@METRICS.register("test_loss")
def test_loss(ctx: ProbeContext):
    return ctx.loss(ctx.test_logits, ctx.data.y_test)


@METRICS.register("train_acc")
def train_acc(ctx: ProbeContext):
    return accuracy(ctx.train_logits, ctx.data.y_train)


@METRICS.register("test_acc")
def test_acc(ctx: ProbeContext):
    return accuracy(ctx.test_logits, ctx.data.y_test)


@METRICS.register("margin")
def margin(ctx: ProbeContext):
    return margins(ctx.train_logits, ctx.data.y_train).min()


@METRICS.register("weight_norm")
def weight_norm(ctx: ProbeContext):
    return sum(w.double().square().sum() for w in ctx.model.layer_weights())


@METRICS.register("schatten")
def schatten(ctx: ProbeContext):
    factors = require(ctx.model.linear_factors(), "a factorisation into linear maps", "metric schatten")
    return schatten_energy(ctx.model.end_to_end().double(), auto_q(ctx.options.schatten_q, len(factors)))


@METRICS.register("balance")
def balance(ctx: ProbeContext):
    factors = require(ctx.model.linear_factors(), "a factorisation into linear maps", "metric balance")
    return imbalance([w.double() for w in factors])


@METRICS.register("effective_rank")
def effective_rank(ctx: ProbeContext):
    matrix = ctx.model.end_to_end()
    return erank((matrix if matrix is not None else ctx.model.layer_weights()[0]).double())


@METRICS.register("fourier_sparsity")
def fourier_sparsity(ctx: ProbeContext):
    table = require(ctx.model.embedding, "a token embedding table", "metric fourier_sparsity")
    energy = fourier_energy(table.double())
    top = energy.topk(min(ctx.options.fourier_top_k, len(energy))).values.sum()
    return top / energy.sum()


@METRICS.register("pattern_flips")
def pattern_flips(ctx: ProbeContext):
    """Share of training-set ReLU bits that changed sign since the last probe; a change
    where both pre-activations lie within `flip_band` of zero (a unit dithering at the kink)
    does not count."""
    preacts = require(ctx.train_preacts or None, "hidden pre-activations", "metric pattern_flips")
    now = torch.cat([z.flatten() for z in preacts])
    before = ctx.memory.get("pattern_flips")
    ctx.memory["pattern_flips"] = now
    if before is None:
        return None
    flipped = ((now > 0) != (before > 0)) & (torch.maximum(now.abs(), before.abs()) >= ctx.options.flip_band)
    return flipped.double().mean()


@METRICS.register("grad_ratio")
def grad_ratio(ctx: ProbeContext):
    head = require(ctx.model.head, "a readout head", "metric grad_ratio").grad
    embedding = require(ctx.model.embedding, "a token embedding table", "metric grad_ratio").grad
    if head is None or embedding is None:
        return None
    return torch.linalg.vector_norm(head.double()) / torch.linalg.vector_norm(embedding.double())


@METRICS.register("train_acc_clean")
def train_acc_clean(ctx: ProbeContext):
    keep = ~require(ctx.data.noisy, "label noise", "metric train_acc_clean")
    return accuracy(ctx.train_logits[keep], ctx.data.y_train[keep])


@METRICS.register("train_acc_noisy")
def train_acc_noisy(ctx: ProbeContext):
    noisy = require(ctx.data.noisy, "label noise", "metric train_acc_noisy")
    return accuracy(ctx.train_logits[noisy], ctx.data.y_train[noisy])


@METRICS.register("llc")
def llc(ctx: ProbeContext):
    from clockspec.runtime.llc import estimate_llc  # devinterp: an optional extra, loaded when measured

    options = (ctx.options.llc or LLCOptions()).model_dump()
    return estimate_llc(ctx.model, ctx.data.x_train, ctx.data.y_train, ctx.loss, options)


def as_number(value: torch.Tensor | float | None) -> float | None:
    """A JSON-able float; non-finite values become None (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value.item() if isinstance(value, torch.Tensor) else value)
    return value if math.isfinite(value) else None


class Prober:
    """Measures the plan's metrics at one step; keeps the memory of stateful metrics."""

    def __init__(self, names: list[str], model: Model, data: Dataset, loss: Loss, options: Any):
        self.names = list(names)
        self.functions = [METRICS[name] for name in self.names]
        self.model, self.data, self.loss, self.options = model, data, loss, options
        self.memory: dict[str, Any] = {}
        self.cadence = dict(getattr(options, "cadence", None) or {})  # metric -> steps between its probes

    def __call__(self, step: int) -> dict[str, Any]:
        """The row at `step`: every metric due there (a metric with a cadence only at its multiples)."""
        with torch.no_grad():
            ctx = ProbeContext(self.model, self.data, self.loss, self.options, self.memory)
            row: dict[str, Any] = {"step": step}
            for name, fn in zip(self.names, self.functions):
                if step % self.cadence.get(name, 1) == 0:
                    row[name] = as_number(fn(ctx))
        return row
