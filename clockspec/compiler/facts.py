"""Facts about an experiment computed before it runs: sizes, parameters, cost, penalties.

Each kind gives its own part (clockspec.ir): a task its sizes (`task.sizes()`) and bytes per
example, a model its parameter layout (`model.param_shapes(sizes)`: (name, shape), weights
(out, in) as torch.nn.Linear holds them, the contract the runtime builds to; a test
compares it with the torch module) and its lookup tables, an optimizer its state tensors,
the execution (clockspec.compiler.batching) how the first layer is computed. This module
combines them.
"""
from __future__ import annotations

from typing import Any

from clockspec.compiler import batching
from clockspec.ir.spec import Experiment

DTYPE_BYTES = {"float32": 4, "float64": 8}


def _dense(spec: Experiment, shapes: list[tuple[str, list[int]]]) -> list[list[int]]:
    """The (out, in) weights of the dense layers: 2-D parameters other than the model's
    lookup tables (an embedding is read by index and costs no multiply-adds)."""
    lookups = spec.model.lookup_tables
    return [s for name, s in shapes if len(s) == 2 and name not in lookups]


def _activations(dense: list[list[int]]) -> int:
    """Values kept per example in a forward pass: every dense layer's input and output."""
    return sum(s[1] for s in dense) + (dense[-1][0] if dense else 0)


def batch_size(spec: Experiment, n_train: int) -> int:
    return n_train if spec.train.batch == "full" else min(spec.train.batch, n_train)


def cost(spec: Experiment, sizes: dict[str, int], shapes: list, n_probes: int) -> dict[str, int]:
    """FLOPs (2 per multiply-add) of a training step and of a probe, as the runtime computes
    them (`flops`), and peak bytes."""
    n_params = sum(numel(s) for _, s in shapes)
    dense = _dense(spec, shapes)
    batch = batch_size(spec, sizes["n_train"])
    n_eval = sizes["n_train"] + sizes["n_test"]
    width = DTYPE_BYTES[spec.train.dtype]
    flops_step = flops(spec, sizes, dense, batching.first_layer(spec), batch, training=True)
    flops_probe = flops(spec, sizes, dense, batching.probe_first_layer(spec), n_eval, training=False)
    states = 2 + spec.optimizer.state_tensors  # params, grads, optimizer state
    acts = _activations(dense)
    train_bytes = (states * n_params + 2 * acts * batch) * width
    probe_bytes = acts * max(sizes["n_train"], sizes["n_test"]) * width
    return {
        "n_params": n_params,
        "flops_per_step": flops_step,
        "flops_per_probe": flops_probe,
        "flops_total": spec.train.steps * flops_step + n_probes * flops_probe,
        "memory_bytes": max(train_bytes, probe_bytes + (2 + states) * n_params * width) + data_bytes(spec, sizes),
    }


def flops(spec: Experiment, sizes: dict[str, int], dense: list[list[int]], first_layer: str, n: int,
          training: bool) -> int:
    """FLOPs of a forward pass over `n` examples or, `training`, of a step: ~3 forward passes
    (each layer's products again for its weight's gradient and for its input's). The kind's
    own count of multiply-adds per example where one weight serves several positions
    (`example_macs`); else every dense layer per example, the first as the execution
    computes it (`batching.first_layer_flops`: a gather of projections costs the same
    whatever the batch)."""
    passes = 3 if training else 1
    example_macs = getattr(spec.model, "example_macs", None)
    if example_macs:
        return 2 * passes * n * example_macs(sizes)
    first = batching.first_layer_flops(first_layer, dense[0], sizes.get("vocab", 0), n, training)
    return first + 2 * passes * n * sum(out * fan_in for out, fan_in in dense[1:])


def data_bytes(spec: Experiment, sizes: dict[str, int]) -> int:
    """The dataset's tensors: every train and test example, at the task's bytes per example."""
    return (sizes["n_train"] + sizes["n_test"]) * spec.task.example_bytes(DTYPE_BYTES[spec.train.dtype])


def numel(shape: list[int]) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


def induced_penalty(spec: Experiment) -> dict[str, Any] | None:
    """Layerwise weight decay on a product of L matrices, seen on its end-to-end map W (DOMAIN.md).

    min over factorisations W = W_L...W_1 of sum_i lambda_i ||W_i||_F^2 equals
    L (prod_i lambda_i)^(1/L) sum_k sigma_k(W)^(2/L) (AM-GM, reached by balanced factors);
    with one lambda for all layers it is lambda * L * ||W||_{S_{2/L}}^{2/L}.
    """
    wd = spec.regularizers.weight_decay
    depth = spec.model.linear_depth
    if depth is None or wd is None:
        return None
    lam = wd.strength
    if wd.per_layer:  # the geometric mean of the layers' strengths plays lambda's part
        prod = 1.0
        for s in wd.per_layer:
            prod *= s
        lam = prod ** (1.0 / depth)
    return {
        "formula": f"{_num(lam)} * {depth} * sum_k sigma_k(W)^(2/{depth})",
        "general": "lambda * L * sum_k sigma_k(W)^(2/L)",
        "lambda": lam,
        "L": depth,
        "q": 2.0 / depth,
        "coefficient": lam * depth,
        "per_layer": wd.per_layer is not None,
    }


def _num(x: float) -> str:
    return f"{x:.6g}"
