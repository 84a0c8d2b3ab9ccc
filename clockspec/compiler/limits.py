"""Limits on what a spec may ask of a machine, and which field to blame when it asks too much.

Each field has bounds in the IR, but sizes multiply: a modulus of 4096 and an embedding of
65536 are each allowed, together they are billions of parameters. These limits are on the
products. Why these values (docs/hardening.md): grokking-scale models have 1e4-1e7
parameters, so 1e9 is far beyond any honest spec and still a loud refusal before a
machine starts allocating; 4 GiB of dataset tensors is more than any task here needs;
100,000 probe rows (as many as a log schedule may have) is a metrics file of ~30 MB.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from clockspec.compiler import facts as derived
from clockspec.ir.spec import Experiment
from clockspec.syntax.source import PathT

MAX_PARAMS = 1_000_000_000
MAX_DATA_BYTES = 4 * 1024**3
MAX_PROBE_ROWS = 100_000


def n_params(spec: Experiment) -> int:
    return sum(derived.numel(shape) for _, shape in spec.model.param_shapes(spec.task.sizes()))


def data_bytes(spec: Experiment) -> int:
    return derived.data_bytes(spec, spec.task.sizes())


def culprit(spec: Experiment, measure: Callable[[Experiment], int], default: PathT) -> PathT:
    """The size field of the task, model or batch whose halving shrinks `measure` most.

    Found by trying, not by knowing each kind's layout, so a new kind needs nothing here.
    """
    base = measure(spec)
    best, gain = default, 0
    for path, value in _size_fields(spec):
        smaller = base - measure(_replace(spec, path, max(value // 2, 1)))
        if smaller > gain:
            best, gain = path, smaller
    return best


def _size_fields(spec: Experiment) -> list[tuple[PathT, int]]:
    out: list[tuple[PathT, int]] = []
    for part in ("task", "model", "train"):
        for name, value in getattr(spec, part):
            if isinstance(value, bool) or name.endswith("seed"):
                continue
            if isinstance(value, int) and value > 1:
                out.append(((part, name), value))
            elif isinstance(value, list):
                out += [((part, name, i), v) for i, v in enumerate(value) if isinstance(v, int) and v > 1]
    return out


def _replace(model: BaseModel, path: PathT, value: Any) -> Any:
    """A copy of `model` with the value at `path` replaced (no validation: sizes only)."""
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(model)  # type: ignore[call-overload]
        items[head] = value if not rest else _replace(items[head], rest, value)
        return items
    current = getattr(model, head)
    return model.model_copy(update={head: value if not rest else _replace(current, rest, value)})
