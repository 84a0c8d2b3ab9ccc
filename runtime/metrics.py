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
from clockspec.runtime.losses import signs
from clockspec.runtime.models import Model, require
from clockspec.runtime.objective import Loss
from clockspec.runtime.tasks import Dataset

METRICS = Registry("runtime metric")
INITIAL = "initial_parameters"  # the probe memory's copy of the parameters as built


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

    @cached_property
    def loss_gradient(self) -> list[torch.Tensor]:
        """The gradient of the training loss (the data term alone, on the whole training set)
        for every parameter, computed here rather than read from `.grad`: the step's own
        gradient is of a minibatch, with penalties and interventions applied."""
        params = list(self.model.parameters())
        with torch.enable_grad():
            loss = self.loss(self.model(self.data.x_train), self.data.y_train)
            return list(torch.autograd.grad(loss, params, allow_unused=True, materialize_grads=True))


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Share of examples whose largest logit is their class's; one output f predicts class 1 where f > 0."""
    predicted = (logits[:, 0] > 0).long() if logits.shape[1] == 1 else logits.argmax(1)
    return (predicted == labels).double().mean()


def margins(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """logit[y] - max_{c != y} logit[c], per example; y f(x) for one output f and y = +-1."""
    if logits.shape[1] == 1:
        return signs(labels, logits) * logits[:, 0]
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


@METRICS.register("collapse_share")
def collapse_share(ctx: ProbeContext):
    """Share of training examples whose own loss is exactly 0, or whose loss gradient with
    respect to the logits is exactly 0 in every class, as the run computes them. Every loss
    here is a mean of per-example terms, so n times its gradient holds each example's own in
    its row; the losses are taken one example at a time (a loss need not vectorise)."""
    logits, labels = ctx.train_logits.detach(), ctx.data.y_train
    with torch.enable_grad():
        z = logits.clone().requires_grad_()
        (grads,) = torch.autograd.grad(ctx.loss(z, labels) * len(labels), z)
    losses = torch.stack([ctx.loss(zi, yi) for zi, yi in zip(logits.split(1), labels.split(1))])
    return ((losses == 0) | (grads == 0).all(1)).double().mean()


@METRICS.register("grad_weight_cosine")
def grad_weight_cosine(ctx: ProbeContext):
    theta = torch.cat([p.detach().double().flatten() for p in ctx.model.parameters()])
    descent = -torch.cat([g.double().flatten() for g in ctx.loss_gradient])
    return torch.nn.functional.cosine_similarity(descent, theta, dim=0, eps=1e-300)


def keeps_initial(fn):
    """A metric that needs the initial parameters: the prober copies them into its memory
    when it is built (the model as built is the initialisation), so a checkpoint keeps them."""
    fn.keeps_initial = True
    return fn


@METRICS.register("init_distance")
@keeps_initial
def init_distance(ctx: ProbeContext):
    initial = ctx.memory[INITIAL]
    return torch.sqrt(sum((p.detach().double() - initial[name].double()).square().sum()
                          for name, p in ctx.model.named_parameters()))


@METRICS.register("kernel_alignment")
def kernel_alignment(ctx: ProbeContext):
    """Linear CKA of the features F with the targets Y, both centred over the training set:
    ||F^T Y||^2 / (||F^T F|| ||Y^T Y||), which is the alignment of the Gram matrices F F^T and
    Y Y^T without forming those n x n matrices."""
    features = require(getattr(ctx.model, "features", None), "the hidden features the head reads",
                       "metric kernel_alignment")
    f = require(features(ctx.data.x_train), "a hidden layer", "metric kernel_alignment").double()
    y = ctx.data.y_train
    y = y.double() if y.is_floating_point() else torch.nn.functional.one_hot(y, ctx.data.n_classes).double()
    f, y = f - f.mean(0), y.reshape(len(y), -1) - y.reshape(len(y), -1).mean(0)
    cross = torch.linalg.matrix_norm(f.T @ y).square()
    scale = torch.linalg.matrix_norm(f.T @ f) * torch.linalg.matrix_norm(y.T @ y)
    return cross / scale if scale > 0 else None


def frequency_shares(acts: torch.Tensor) -> torch.Tensor:
    """(neurons, p // 2) each neuron's share of its centred activation energy over the (p, p)
    grid in frequency k = 1..p//2: the 2-D DFT coefficients (i, j) with i, j in {0, k, p - k}
    (its cos/sin(w a), cos/sin(w b) and their products). acts: (p, p, neurons)."""
    p = acts.shape[0]
    power = torch.fft.fft2(acts - acts.mean((0, 1)), dim=(0, 1)).abs().square()
    total = power.sum((0, 1))
    shares = []
    for k in range(1, p // 2 + 1):
        idx = torch.tensor(sorted({0, k, (p - k) % p}), device=acts.device)
        shares.append(power.index_select(0, idx).index_select(1, idx).sum((0, 1)) / total)
    return torch.stack(shares, 1)


@METRICS.register("neuron_frequencies")
def neuron_frequencies(ctx: ProbeContext):
    """As Nanda et al.'s `calculate_key_freqs`: each neuron's best frequency over all pairs;
    the key frequencies are the distinct ones. Neurons that are constant over the grid (dead)
    have no frequency and are left out."""
    p = require(ctx.data.n_tokens, "token inputs", "metric neuron_frequencies")
    grid = torch.cartesian_prod(torch.arange(p), torch.arange(p)).to(ctx.data.x_train.device)
    preacts = require(ctx.model.forward_with_preacts(grid)[1] or None, "hidden pre-activations",
                      "metric neuron_frequencies")
    acts = torch.relu(preacts[-1].double()).reshape(p, p, -1)
    live = acts.flatten(0, 1).var(0) > 0
    if not live.any():
        return Parts(torch.tensor(0.0), {"explained": torch.tensor(float("nan"))})
    shares = frequency_shares(acts[:, :, live])
    best = shares.max(1)
    return Parts(torch.tensor(float(best.indices.unique().numel())), {"explained": best.values.mean()})


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
        if any(getattr(fn, "keeps_initial", False) for fn in self.functions):
            self.memory[INITIAL] = {name: p.detach().clone() for name, p in model.named_parameters()}
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
