"""Which members can train together in one process, over a leading member axis.

Every spec trains on the one stacked step (runtime/stacked.py), alone as a stack of one.
Members batch when they share every shape and every setting of the training loop and
differ only in values that can be per-member tensors, plus what each member measures and
keeps (its clocks, `stop` and snapshots, tracked per member). Each kind says which of its
fields may differ inside a batch (`per_member_fields`: the split seed, the init scale, the
learning rate, regularizer strengths); the seed always may.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from clockspec.compiler import compile_cost
from clockspec.ir.spec import Experiment

PER_RUN = ("name", "description", "tags", "clocks", "stop", "snapshots")
KIND_PARTS = ("task", "model", "optimizer")


def batch_key(spec: Experiment) -> str:
    """Members with equal keys can share a batch."""
    regs = {name: reg for name, reg in spec.regularizers if reg is not None}
    data: dict[str, Any] = spec.model_dump(mode="json", exclude=set(PER_RUN))
    data.pop("seed")
    for part in KIND_PARTS:
        for name in getattr(spec, part).per_member_fields:
            data[part].pop(name, None)
    for reg_name, reg in regs.items():
        for name in reg.per_member_fields:  # per_layer strengths, when given, must match
            data["regularizers"][reg_name].pop(name, None)
    return json.dumps(data, sort_keys=True)


def execution(spec: Experiment, flops_per_step: float, param_shapes: Sequence[Sequence[Any]] = ()) -> dict[str, Any]:
    """The numerical program that trains `spec`, as the runtime will compute it: part of the
    train hash (a change of program is a new hash, never a reused run), said by `explain`.

    step: `stacked` (runtime/stacked.py: every spec's, a run alone a stack of one, so a
    member of a batch follows the same trajectory bit for bit). first_layer: how token
    inputs enter (`first_layer`). optimizer: torch's `fused` kernel. compiled: whether the
    step is torch.compile'd (`compile_cost.compiles`: as `train.compile` says, or when the
    run is long enough). one_column: present when a layer has one output (`param_shapes`:
    a weight of shape (1, in)), which the step multiplies member by member
    (runtime/models/network.member_matmul), another program than torch's batched kernel."""
    out = {"step": "stacked", "first_layer": first_layer(spec), "optimizer": "fused",
           "compiled": compile_cost.compiles(spec, flops_per_step)}
    if any(len(shape) == 2 and shape[0] == 1 for _, shape in param_shapes):
        out["one_column"] = "member_by_member"
    return out


def first_layer(spec: Experiment) -> str:
    """How the training step takes the inputs into the first layer: `projection_gather` (a
    model whose first layer maps the embeddings, `projects_embeddings`: their per-token
    projections, gathered), `token_embedding` (token and position embeddings into a residual stream),
    `column_gather` (one-hot token inputs: W_1's columns) or `dense`."""
    if not spec.task.token_inputs:
        return "dense"
    if not spec.model.embeds_tokens:
        return "column_gather"
    if not spec.model.projects_embeddings:
        return "token_embedding"
    return "projection_gather"


def first_layer_flops(first_layer: str, w1: Sequence[int], vocab: int, n: int, training: bool) -> int:
    """FLOPs of the first layer (weight `w1`, (out, in)) over `n` examples as `first_layer`
    computes it (`first_layer`): in one forward pass or, `training`, in a step (the forward,
    then the products again for the gradient of W_1 and for that of its input where the
    input is a parameter: embeddings are, dense data is not). Products only: gathers and
    adds are free, as torch's FlopCounterMode counts (tests/runtime/test_cost_estimate.py).

    projection_gather: the tables E W1a^T and E W1b^T (sum: E W1^T) are multiplied once
    per step from the `vocab` token values whatever `n` (p x 2d x h multiply-adds for
    concat, p x d x h for sum: vocab x in x out both), then gathered per example.
    column_gather: W_1's one-hot columns gathered and added, no products.
    embedding_then_linear and dense: every example through W_1."""
    if first_layer == "column_gather":
        return 0
    rows = vocab if first_layer == "projection_gather" else n
    passes = 1 if not training else 2 if first_layer == "dense" else 3
    return 2 * passes * rows * w1[0] * w1[1]


def probe_first_layer(spec: Experiment) -> str:
    """How a probe's forward takes the first layer: a probe measures each member's own torch
    module (runtime/stacked.py), which embeds the tokens then multiplies where the stacked
    step gathers projections."""
    first = first_layer(spec)
    return "embedding_then_linear" if first == "projection_gather" else first


def groups(specs: Iterable[Experiment], size: int | None = None) -> list[list[int]]:
    """Indices of specs grouped by batch key, in first-seen order.

    `size` caps a group (a batch too large for memory or for the cores is split)."""
    by_key: dict[str, list[int]] = {}
    out: list[list[int]] = []
    for i, spec in enumerate(specs):
        key = batch_key(spec)
        if key not in by_key:
            by_key[key] = []
            out.append(by_key[key])
        by_key[key].append(i)
    if size:
        out = [g[j:j + size] for g in out for j in range(0, len(g), size)]
    return out
