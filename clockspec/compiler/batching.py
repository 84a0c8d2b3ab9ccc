"""Which members can train together in one process, over a leading member axis.

Members batch when they share every shape and every setting of the training loop and
differ only in values that can be per-member tensors: the seed, the split seed, the init
scale, the learning rate and the (decoupled) weight-decay strength (whether it is on must
match), plus what each member measures (its clocks and `stop`, tracked per member).
Penalties added to the loss (schatten, coupled weight decay) are not batched.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from clockspec.ir.spec import Experiment

# Paths whose values may differ inside a batch (regularizer strengths are added per kind).
PER_MEMBER = (("seed",), ("task", "split_seed"), ("model", "init_scale"), ("optimizer", "lr"))
PER_RUN = ("name", "description", "tags", "clocks", "stop")
BATCHABLE_OPTIMIZERS = {"sgd", "adam", "adamw"}


def batch_key(spec: Experiment) -> str | None:
    """Members with equal keys can share a batch; None when a spec never batches."""
    wd = spec.regularizers.weight_decay
    if (spec.optimizer.kind not in BATCHABLE_OPTIMIZERS or spec.regularizers.schatten is not None
            or (wd is not None and not wd.decoupled)):
        return None  # penalty terms hold the network's own parameters: not batched
    data: dict[str, Any] = spec.model_dump(mode="json", exclude=set(PER_RUN))
    for path in PER_MEMBER:
        node = data
        for part in path[:-1]:
            node = node.get(part, {})
        node.pop(path[-1], None)
    for reg in data.get("regularizers", {}).values():
        if isinstance(reg, dict):
            reg.pop("strength", None)  # per_layer strengths, when given, must match
    return json.dumps(data, sort_keys=True)


def groups(specs: Iterable[Experiment], size: int | None = None) -> list[list[int]]:
    """Indices of specs grouped by batch key, in first-seen order; singletons stay alone.

    `size` caps a group (a batch too large for memory or for the cores is split)."""
    by_key: dict[str, list[int]] = {}
    out: list[list[int]] = []
    for i, spec in enumerate(specs):
        key = batch_key(spec)
        if key is None:
            out.append([i])
            continue
        if key not in by_key:
            by_key[key] = []
            out.append(by_key[key])
        by_key[key].append(i)
    if size:
        out = [g[j:j + size] for g in out for j in range(0, len(g), size)]
    return out
