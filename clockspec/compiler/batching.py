"""Which members can train together in one process, over a leading member axis.

Members batch when they share every shape and every setting of the training loop and
differ only in values that can be per-member tensors, plus what each member measures (its
clocks and `stop`, tracked per member). Each kind says whether it batches (`batchable`)
and which of its fields may differ inside a batch (`per_member_fields`: the split seed,
the init scale, the learning rate, regularizer strengths); the seed always may. Penalties
added to the loss (schatten, coupled weight decay) are not batched.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from clockspec.ir.spec import Experiment

PER_RUN = ("name", "description", "tags", "clocks", "stop")
KIND_PARTS = ("task", "model", "optimizer")


def batch_key(spec: Experiment) -> str | None:
    """Members with equal keys can share a batch; None when a spec never batches."""
    regs = {name: reg for name, reg in spec.regularizers if reg is not None}
    kinds = [getattr(spec, part) for part in KIND_PARTS] + list(regs.values())
    kinds += [kind for _, kind in (spec.interventions or ()) if kind is not None]
    if not all(kind.batchable for kind in kinds) or spec.train.loss_dtype:
        return None  # e.g. penalty terms hold the network's own parameters; the stacked step has no hooks
    data: dict[str, Any] = spec.model_dump(mode="json", exclude=set(PER_RUN))
    data.pop("seed")
    for part in KIND_PARTS:
        for name in getattr(spec, part).per_member_fields:
            data[part].pop(name, None)
    for reg_name, reg in regs.items():
        for name in reg.per_member_fields:  # per_layer strengths, when given, must match
            data["regularizers"][reg_name].pop(name, None)
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
