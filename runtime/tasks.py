"""Task builders: the IR's task kinds -> tensors of a train and a test set.

Data is generated on the CPU from the task's own seeds (`split_seed`, `data_seed`), so the
same spec gives the same split on every device; `Dataset.to` moves it once.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from clockspec.core.registry import Registry

TASKS = Registry("runtime task")


@dataclass(frozen=True)
class Dataset:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_inputs: int  # width of the input vector a plain model sees (2p one-hot operands for modular)
    n_classes: int
    n_tokens: int | None = None  # modular: x holds operand indices in [0, p), shape (n, 2)

    @property
    def tokens(self) -> bool:
        return self.n_tokens is not None

    def to(self, device: torch.device, dtype: torch.dtype) -> Dataset:
        def move(x: torch.Tensor) -> torch.Tensor:
            return x.to(device=device, dtype=dtype if x.is_floating_point() else x.dtype)

        return replace(self, x_train=move(self.x_train), y_train=move(self.y_train),
                       x_test=move(self.x_test), y_test=move(self.y_test))


def build_task(task) -> Dataset:
    return TASKS[task.kind](task)


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
    """All pairs (a, b) of Z_p (b != 0 for div), split at random by `split_seed`."""
    p = task.modulus
    a, b = torch.cartesian_prod(torch.arange(p), torch.arange(p)).unbind(1)
    if task.op == "div":
        a, b = a[b != 0], b[b != 0]
    y = modular_labels(task.op, a, b, p)
    n = len(y)
    n_train = min(max(round(task.train_fraction * n), 1), n - 1)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(task.split_seed))
    train, test = perm[:n_train].sort().values, perm[n_train:].sort().values
    x = torch.stack([a, b], dim=1)
    return Dataset(x[train], y[train], x[test], y[test], n_inputs=2 * p, n_classes=p, n_tokens=p)


@TASKS.register("teacher")
def teacher(task) -> Dataset:
    """Gaussian inputs labelled by the argmax of a random rank-`rank` linear map."""
    g = torch.Generator().manual_seed(task.data_seed)
    u = torch.randn(task.classes, task.rank, generator=g, dtype=torch.float64)
    v = torch.randn(task.inputs, task.rank, generator=g, dtype=torch.float64)
    teacher_map = u @ v.T / task.inputs**0.5
    x_train = torch.randn(task.train_size, task.inputs, generator=g, dtype=torch.float64)
    x_test = torch.randn(task.test_size, task.inputs, generator=g, dtype=torch.float64)
    return Dataset(x_train, (x_train @ teacher_map.T).argmax(1), x_test, (x_test @ teacher_map.T).argmax(1),
                   n_inputs=task.inputs, n_classes=task.classes)
