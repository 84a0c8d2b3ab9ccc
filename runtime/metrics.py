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
from dataclasses import dataclass
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
    table = require(ctx.model.token_table(), "a token table (token inputs)", "metric fourier_sparsity")
    energy = fourier_energy(table.double())
    top = energy.topk(min(ctx.options.fourier_top_k, len(energy))).values.sum()
    return top / energy.sum()


def key_frequencies(table: torch.Tensor, k: int) -> list[int]:
    """The k frequencies (1..p/2, the mean left out) with the most of the token table's energy."""
    energy = fourier_energy(table.double())[1:]
    return (energy.topk(min(k, len(energy))).indices + 1).tolist()


def sum_frequency_mask(p: int, frequencies: list[int], device: torch.device) -> torch.Tensor:
    """(p, p) True at the 2-D DFT coefficients of cos(w(a + b)) and sin(w(a + b)), w = 2 pi k / p:
    (k, k) and (p - k, p - k) for each k."""
    mask = torch.zeros(p, p, dtype=torch.bool, device=device)
    for k in frequencies:
        mask[k, k] = mask[(p - k) % p, (p - k) % p] = True
    return mask


def fourier_ablated_logits(ctx: ProbeContext, keep: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The logits over the whole (a, b) grid, (p, p, classes), with only the key frequencies'
    cos/sin(w(a + b)) components and the constant kept (`keep`), or with those components
    removed; and the grid's labels (a + b) mod p."""
    p = ctx.data.n_tokens
    table = require(ctx.model.token_table(), "a token table (token inputs)", "Nanda's progress measures")
    x = torch.cat([ctx.data.x_train, ctx.data.x_test])
    grid = torch.empty(p * p, ctx.train_logits.shape[1], dtype=torch.float64, device=x.device)
    grid[x[:, 0] * p + x[:, 1]] = torch.cat([ctx.train_logits, ctx.test_logits]).double()
    mask = sum_frequency_mask(p, key_frequencies(table, ctx.options.fourier_top_k), x.device)
    spectrum = torch.fft.fft2(grid.view(p, p, -1), dim=(0, 1))
    if keep:
        mask[0, 0] = True
    else:
        mask = ~mask
    logits = torch.fft.ifft2(spectrum * mask[:, :, None], dim=(0, 1)).real
    a, b = torch.meshgrid(torch.arange(p, device=x.device), torch.arange(p, device=x.device), indexing="ij")
    return logits, (a + b) % p


@METRICS.register("restricted_loss")
def restricted_loss(ctx: ProbeContext):
    """Cross-entropy over every pair of the logits restricted to the key frequencies."""
    logits, labels = fourier_ablated_logits(ctx, keep=True)
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten())


@METRICS.register("excluded_loss")
def excluded_loss(ctx: ProbeContext):
    """Cross-entropy over the training pairs of the logits with the key frequencies removed."""
    logits, labels = fourier_ablated_logits(ctx, keep=False)
    a, b = ctx.data.x_train.unbind(1)
    return torch.nn.functional.cross_entropy(logits[a, b], labels[a, b])


@METRICS.register("attention_entropy")
def attention_entropy(ctx: ProbeContext):
    patterns = require(getattr(ctx.model, "attention_patterns", None), "attention", "metric attention_entropy")
    per_head = {}
    for block, pattern in enumerate(patterns(ctx.data.x_train)):
        p = pattern.double()
        entropy = -(p * torch.log(p.clamp_min(1e-300))).sum(-1).mean(0)  # (heads,)
        per_head.update({f"{block}.{h}": e for h, e in enumerate(entropy)})
    return Parts(torch.stack(list(per_head.values())).mean(), per_head)


@METRICS.register("layer_norms")
def layer_norms(ctx: ProbeContext):
    norms = {name.rsplit(".", 1)[0]: torch.linalg.matrix_norm(p.double())
             for name, role, p in ctx.model.spec_parameters() if role in ("weights", "embeddings")}
    return Parts(max(norms.values()), norms)


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


@dataclass(frozen=True)
class Parts:
    """A metric's value and its named parts, recorded beside it as `<metric>.<part>`
    (attention_entropy per head, layer_norms per layer)."""

    value: torch.Tensor
    parts: dict[str, torch.Tensor]


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
                if step % self.cadence.get(name, 1):
                    continue
                value = fn(ctx)
                if isinstance(value, Parts):
                    row.update({f"{name}.{part}": as_number(v) for part, v in value.parts.items()})
                    value = value.value
                row[name] = as_number(value)
        return row
