"""Task builders: the IR's task kinds -> tensors of a train and a test set.

Data is generated on the CPU from the task's own seeds (`split_seed`, `data_seed`), so the
same spec gives the same split on every device; `Dataset.to` moves it once.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from clockspec.core.registry import Registry
from clockspec.runtime.groups import table as group_table

TASKS = Registry("runtime task")
Draw = Callable[[int, torch.Generator], tuple[torch.Tensor, torch.Tensor]]  # n fresh examples (x, y), on the CPU


@dataclass(frozen=True)
class Dataset:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_inputs: int  # width of the input vector a plain model sees (2p one-hot operands for modular)
    n_classes: int
    n_tokens: int | None = None  # token tasks: x holds operand values in [0, n_tokens), shape (n, operands)
    noisy: torch.Tensor | None = None  # label noise: which training labels were replaced (bool, n_train)
    draw: Draw | None = None  # an online task: fresh examples from the task's distribution (`online_batch`)

    @property
    def tokens(self) -> bool:
        return self.n_tokens is not None

    @property
    def arity(self) -> int | None:
        """How many operands (token positions) an example has (None: real-valued inputs)."""
        return self.x_train.shape[1] if self.tokens else None

    def to(self, device: torch.device, dtype: torch.dtype) -> Dataset:
        def move(x: torch.Tensor) -> torch.Tensor:
            return moved(x, device, dtype)

        noisy = None if self.noisy is None else self.noisy.to(device)
        return replace(self, x_train=move(self.x_train), y_train=move(self.y_train),
                       x_test=move(self.x_test), y_test=move(self.y_test), noisy=noisy)


def moved(x: torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """`x` on the device; real values in the run's dtype, integers (labels, tokens) as they are."""
    return x.to(device=device, dtype=dtype if x.is_floating_point() else x.dtype)


def online_batch(data: Dataset, n: int, seed: int, t: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Step t's n fresh examples of an online task, a pure function of (seed, t): a resumed
    run draws what the uninterrupted one drew, and a member of a batch what it draws alone."""
    state = int(np.random.SeedSequence([seed, t]).generate_state(1, np.uint64)[0] >> 1)
    return data.draw(n, torch.Generator().manual_seed(state))


def online(task, draw: Draw, data: Dataset) -> Dataset:
    """`data`, able to draw fresh examples when the task asks for online steps."""
    return replace(data, draw=draw) if getattr(task, "online", None) else data


def unchanged_data(plan) -> None:
    """RunError if the task's data (a file's content hash) is not what the plan was compiled
    with: a file edited while a family runs must not train a member under the old hash."""
    from clockspec.core.datafiles import DataFileError
    from clockspec.core.errors import RunError

    try:
        now = plan.spec.task.content()
    except DataFileError as exc:
        raise RunError(f"the task's data file cannot be read any more: {exc}", plan.spec.name, exit_status=2) from None
    recorded = plan.nodes["data"].data
    if any(recorded.get(key) != value for key, value in now.items()):
        raise RunError("the task's data file changed since this experiment was compiled (its content hash differs)",
                       plan.spec.name, hint="run the command again: it compiles the new data under a new hash",
                       exit_status=2)


def build_task(task) -> Dataset:
    data = TASKS[task.kind](task)
    noise = getattr(task, "label_noise", None)  # a field of every classification task
    return data if noise is None else with_label_noise(data, noise.count(len(data.y_train)), noise.seed)


def with_label_noise(data: Dataset, count: int, seed: int) -> Dataset:
    """Exactly `count` training labels, chosen by `seed`, each moved to another class (uniformly)."""
    g = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(data.y_train), generator=g)[:count]
    shift = torch.randint(1, data.n_classes, (count,), generator=g)
    y = data.y_train.clone()
    y[chosen] = (y[chosen] + shift) % data.n_classes
    noisy = torch.zeros(len(y), dtype=torch.bool)
    noisy[chosen] = True
    return replace(data, y_train=y, noisy=noisy)


def split_pairs(x: torch.Tensor, y: torch.Tensor, train_fraction: float, seed: int) -> tuple[torch.Tensor, ...]:
    """All examples split at random by `seed`: (x_train, y_train, x_test, y_test), each part in order."""
    n = len(y)
    n_train = min(max(round(train_fraction * n), 1), n - 1)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    train, test = perm[:n_train].sort().values, perm[n_train:].sort().values
    return x[train], y[train], x[test], y[test]


def modular_labels(op: str, a: torch.Tensor, b: torch.Tensor, p: int) -> torch.Tensor:
    if op == "add":
        return (a + b) % p
    if op == "sub":
        return (a - b) % p
    if op == "mul":
        return (a * b) % p
    if op == "div":  # a * b^(p-2) = a / b in Z_p for prime p, b != 0 (Fermat)
        inverse = torch.tensor([pow(int(v), p - 2, p) for v in range(p)])
        return (a * inverse[b]) % p
    if op == "x2_plus_y2":
        return (a * a + b * b) % p
    if op == "x2_plus_xy_plus_y2":
        return (a * a + a * b + b * b) % p
    if op == "x3_plus_xy":
        return (a * a % p * a + a * b) % p
    raise ValueError(f"unknown modular op {op!r}")


@TASKS.register("modular")
def modular(task) -> Dataset:
    """All tuples (a, b, ...) of Z_p but those with a zero operand the task leaves out (b for
    div), split at random by `split_seed`; three or more operands are folded left to right
    ((a - b) - c)."""
    p, k = task.modulus, task.operand_count
    x = torch.cartesian_prod(*[torch.arange(p)] * k)
    keep = torch.ones(len(x), dtype=torch.bool)
    for j, name in enumerate("ab"):
        if name in task.zero_free:
            keep &= x[:, j] != 0
    x = x[keep]
    y = modular_labels(task.op, x[:, 0], x[:, 1], p)
    for j in range(2, k):
        y = modular_labels(task.op, y, x[:, j], p)
    parts = split_pairs(x, y, task.train_fraction, task.split_seed)
    return Dataset(*parts, n_inputs=k * p, n_classes=p, n_tokens=p)


@TASKS.register("teacher")
def teacher(task) -> Dataset:
    """Gaussian inputs labelled by the argmax of a random rank-`rank` linear map."""
    g = torch.Generator().manual_seed(task.data_seed)
    u = torch.randn(task.classes, task.rank, generator=g, dtype=torch.float64)
    v = torch.randn(task.inputs, task.rank, generator=g, dtype=torch.float64)
    teacher_map = u @ v.T / task.inputs**0.5

    def points(n: int, generator: torch.Generator = g) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, task.inputs, generator=generator, dtype=torch.float64)
        return x, (x @ teacher_map.T).argmax(1)

    data = Dataset(*points(task.train_size), *points(task.test_size), n_inputs=task.inputs, n_classes=task.classes)
    return online(task, points, data)


@TASKS.register("group")
def group(task) -> Dataset:
    """All pairs (a, b) of the group's elements labelled by the index of a∘b."""
    products = group_table(task.group, task.n)
    order = len(products)
    a, b = torch.cartesian_prod(torch.arange(order), torch.arange(order)).unbind(1)
    parts = split_pairs(torch.stack([a, b], dim=1), products[a, b], task.train_fraction, task.split_seed)
    return Dataset(*parts, n_inputs=2 * order, n_classes=order, n_tokens=order)


@TASKS.register("addition")
def addition(task) -> Dataset:
    """All pairs (a, b) of 0..p-1 labelled by a + b (2p - 1 classes)."""
    p = task.operands
    a, b = torch.cartesian_prod(torch.arange(p), torch.arange(p)).unbind(1)
    parts = split_pairs(torch.stack([a, b], dim=1), a + b, task.train_fraction, task.split_seed)
    return Dataset(*parts, n_inputs=2 * p, n_classes=2 * p - 1, n_tokens=p)


@TASKS.register("sparse_parity")
def sparse_parity(task) -> Dataset:
    """Uniform +-1 strings; the label is 1 where an odd number of the relevant bits is -1."""
    g = torch.Generator().manual_seed(task.data_seed)
    relevant = torch.randperm(task.bits, generator=g)[:task.relevant]

    def strings(n: int, generator: torch.Generator = g) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randint(0, 2, (n, task.bits), generator=generator, dtype=torch.float64) * 2 - 1
        return x, (x[:, relevant] < 0).sum(1) % 2

    data = Dataset(*strings(task.train_size), *strings(task.test_size), n_inputs=task.bits, n_classes=2)
    return online(task, strings, data)


def hermite(k: int, z: torch.Tensor) -> torch.Tensor:
    """The probabilists' Hermite polynomial He_k(z), by He_{j+1} = z He_j - j He_{j-1}."""
    before, now = torch.ones_like(z), z
    if k == 0:
        return before
    for j in range(1, k):
        before, now = now, z * now - j * before
    return now


@TASKS.register("regression")
def regression(task) -> Dataset:
    """y = W x / sqrt(d); per output sum_j c_j z^j of z = W x / sqrt(d) (coefficients ~ N(0, 1/j!));
    or, named exactly, the given coefficients' polynomial or He_k of z = u . x, u = w / ||w||."""
    g = torch.Generator().manual_seed(task.data_seed)
    w = torch.randn(task.outputs, task.inputs, generator=g, dtype=torch.float64)
    degree = 1 if task.target == "linear" else task.degree
    coef = torch.randn(degree, task.outputs, generator=g, dtype=torch.float64)
    coef /= torch.tensor([math.factorial(j) ** 0.5 for j in range(1, degree + 1)], dtype=torch.float64)[:, None]
    exact = task.target == "hermite" or task.coefficients is not None

    def target(z: torch.Tensor) -> torch.Tensor:
        if task.target == "hermite":
            return hermite(task.degree, z)
        if task.coefficients is not None:
            return sum(c * z**j for j, c in enumerate(task.coefficients))
        return z if task.target == "linear" else sum(coef[j - 1] * z**j for j in range(1, degree + 1))

    def points(n: int, generator: torch.Generator = g) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, task.inputs, generator=generator, dtype=torch.float64)
        z = x @ (w / w.norm(dim=1, keepdim=True)).T if exact else x @ w.T / task.inputs**0.5
        return x, target(z)

    data = Dataset(*points(task.train_size), *points(task.test_size), n_inputs=task.inputs, n_classes=task.outputs)
    return online(task, points, data)


@TASKS.register("dataset")
def dataset(task) -> Dataset:
    """The checked file's arrays; one set split by `split_seed`; a seeded training subset if asked."""
    data = task.data()
    if data.split:
        (x_train, y_train), (x_test, y_test) = data.sets["train"], data.sets["test"]
        x_train, y_train, x_test, y_test = map(torch.from_numpy, (x_train, y_train, x_test, y_test))
    else:
        x, y = map(torch.from_numpy, data.sets["all"])
        x_train, y_train, x_test, y_test = split_pairs(x, y, 1.0 - task.test_fraction, task.split_seed)
    if task.train_subset is not None:
        g = torch.Generator().manual_seed(task.split_seed)
        keep = torch.randperm(len(y_train), generator=g)[:task.train_subset].sort().values
        x_train, y_train = x_train[keep], y_train[keep]
    return Dataset(x_train, y_train, x_test, y_test, n_inputs=data.features, n_classes=data.classes)
