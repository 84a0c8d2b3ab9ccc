"""Facts about an experiment computed before it runs: sizes, parameters, cost, penalties.

The parameter layout here is the contract the runtime builds to (a test there compares
`param_shapes` with the torch module): one-hot operands for `mlp`/`deep_linear` on a
modular task (input 2p), a shared p x d embedding table for `embed_mlp`, bias on hidden
layers and head when `bias` is on, none in `deep_linear`.
"""
from __future__ import annotations

from typing import Any

from clockspec.ir.spec import Experiment

DTYPE_BYTES = {"float32": 4, "float64": 8}
# Optimizer state tensors kept per parameter tensor (Adam: two moments; SGD: momentum buffer).
OPT_STATES = {"sgd": lambda o: 1 if o.momentum > 0 else 0, "adam": lambda o: 2, "adamw": lambda o: 2}


def task_sizes(spec: Experiment) -> dict[str, int]:
    """input_dim, output_dim, n_train, n_test of the task (the model's view of it)."""
    task = spec.task
    if task.kind == "modular":
        n = task.n_pairs
        n_train = min(max(round(task.train_fraction * n), 1), n - 1)
        return {"input_dim": 2 * task.modulus, "output_dim": task.modulus, "vocab": task.modulus,
                "n_train": n_train, "n_test": n - n_train}
    if task.kind == "teacher":
        return {"input_dim": task.inputs, "output_dim": task.classes,
                "n_train": task.train_size, "n_test": task.test_size}
    raise NotImplementedError(f"task kind {task.kind!r} has no sizes in clockspec.compiler.facts")


def param_shapes(spec: Experiment, sizes: dict[str, int]) -> list[tuple[str, list[int]]]:
    """(name, shape) of every parameter tensor, weights as (out, in) like torch.nn.Linear."""
    model = spec.model
    out_dim = sizes["output_dim"]
    if model.kind == "deep_linear":
        dims = [sizes["input_dim"]] + [model.width] * (model.depth - 1) + [out_dim]
        return [(f"layers.{i}.weight", [dims[i + 1], dims[i]]) for i in range(model.depth)]
    shapes: list[tuple[str, list[int]]] = []
    if model.kind == "embed_mlp":
        shapes.append(("embed.weight", [sizes["vocab"], model.embed_dim]))
        first = 2 * model.embed_dim if model.combine == "concat" else model.embed_dim
    elif model.kind == "mlp":
        first = sizes["input_dim"]
    else:
        raise NotImplementedError(f"model kind {model.kind!r} has no layout in clockspec.compiler.facts")
    dims = [first] + list(model.hidden) + [out_dim]
    for i in range(len(dims) - 1):
        name = "head" if i == len(dims) - 2 else f"hidden.{i}"
        shapes.append((f"{name}.weight", [dims[i + 1], dims[i]]))
        if model.bias:
            shapes.append((f"{name}.bias", [dims[i + 1]]))
    return shapes


def _matmul_macs(shapes: list[tuple[str, list[int]]]) -> int:
    """Multiply-adds per example of the dense layers (an embedding lookup costs none)."""
    return sum(s[0] * s[1] for name, s in shapes if name.endswith(".weight") and not name.startswith("embed."))


def _activations(shapes: list[tuple[str, list[int]]]) -> int:
    """Values kept per example in a forward pass: every dense layer's input and output."""
    dense = [s for name, s in shapes if name.endswith(".weight") and not name.startswith("embed.")]
    return sum(s[1] for s in dense) + (dense[-1][0] if dense else 0)


def batch_size(spec: Experiment, n_train: int) -> int:
    return n_train if spec.train.batch == "full" else min(spec.train.batch, n_train)


def cost(spec: Experiment, sizes: dict[str, int], shapes: list, n_probes: int) -> dict[str, int]:
    """FLOPs (a forward pass is 2 FLOPs per multiply-add, a step ~3 forward passes) and peak bytes."""
    n_params = sum(numel(s) for _, s in shapes)
    macs = _matmul_macs(shapes)
    batch = batch_size(spec, sizes["n_train"])
    n_eval = sizes["n_train"] + sizes["n_test"]
    width = DTYPE_BYTES[spec.train.dtype]
    flops_step = 6 * macs * batch
    flops_probe = 2 * macs * n_eval
    states = 2 + OPT_STATES[spec.optimizer.kind](spec.optimizer)  # params, grads, optimizer state
    acts = _activations(shapes)
    train_bytes = (states * n_params + 2 * acts * batch) * width
    probe_bytes = acts * max(sizes["n_train"], sizes["n_test"]) * width
    return {
        "n_params": n_params,
        "flops_per_step": flops_step,
        "flops_per_probe": flops_probe,
        "flops_total": spec.train.steps * flops_step + n_probes * flops_probe,
        "memory_bytes": max(train_bytes, probe_bytes + (2 + states) * n_params * width) + data_bytes(spec, sizes),
    }


def data_bytes(spec: Experiment, sizes: dict[str, int]) -> int:
    """The dataset's tensors: real inputs in the run's dtype, or int64 token pairs."""
    n_eval = sizes["n_train"] + sizes["n_test"]
    return n_eval * (sizes["input_dim"] * DTYPE_BYTES[spec.train.dtype] if spec.task.kind == "teacher" else 2 * 8)


def numel(shape: list[int]) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


def schatten_q(spec: Experiment, q: Any) -> float | None:
    """Resolve q = 'auto' to 2/L for a depth-L deep linear net (None where undefined)."""
    if q != "auto":
        return float(q)
    return 2.0 / spec.model.depth if spec.model.kind == "deep_linear" else None


def induced_penalty(spec: Experiment) -> dict[str, Any] | None:
    """Layerwise weight decay on a deep linear net, seen on its end-to-end map W (DOMAIN.md).

    min over factorisations W = W_L...W_1 of sum_i lambda_i ||W_i||_F^2 equals
    L (prod_i lambda_i)^(1/L) sum_k sigma_k(W)^(2/L) (AM-GM, reached by balanced factors);
    with one lambda for all layers it is lambda * L * ||W||_{S_{2/L}}^{2/L}.
    """
    wd = spec.regularizers.weight_decay
    if spec.model.kind != "deep_linear" or wd is None:
        return None
    depth = spec.model.depth
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
