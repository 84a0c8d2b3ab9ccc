"""Whether torch.compile'ing the training step pays for itself: `train.compile: auto`.

Compiling the stacked step (runtime/stacked.py) fuses its elementwise work and removes
per-op overhead, by how much depends on the model: each model kind gives the share of its
eager step's CPU time that compiling saves, as measured (`compile_saving`, clockspec/ir/
models.py): a fifth for embed_mlp (1.26-1.35x the steps per second), a tenth for
deep_linear, nothing for mlp and the transformer (their compiled steps ran at 0.84-1.00x).
It costs a compile first: 6-44 s on the 2-core CI machine when nothing is cached, 1-3 s when
torch's own cache holds the graph. So it pays when the eager steps would take longer than
COMPILE_S / compile_saving. The estimate is the plan's own (`flops_per_step` x
`train.steps` at EAGER_FLOPS), never a measurement, so the choice, which is part of the
train hash, is the same on every machine for the same spec. A run that stops early on its
clocks is counted at its full length: the estimate is the longest the run can take.
"""
from __future__ import annotations

from typing import Any

from clockspec.ir.spec import Experiment

EAGER_FLOPS = 1e10  # FLOP/s of one CPU core running the eager step, roughly
COMPILE_S = 30.0  # seconds to compile the step, uncached, on a busy 2-core CPU


def pays_after(spec: Experiment) -> float:
    """Eager seconds from which compiling this spec's step pays (inf: it never does)."""
    saving = spec.model.compile_saving
    return COMPILE_S / saving if saving > 0 else float("inf")


def eager_seconds(spec: Experiment, flops_per_step: float) -> float:
    """The eager training steps' time if the run never stops early."""
    return spec.train.steps * flops_per_step / EAGER_FLOPS


def compiles(spec: Experiment, flops_per_step: float) -> bool:
    """Whether the step is torch.compile'd: as the spec says, or (auto) when it pays on a
    device torch compiles for (not mps)."""
    choice = spec.train.compile
    if choice != "auto":
        return bool(choice)
    return spec.device != "mps" and eager_seconds(spec, flops_per_step) > pays_after(spec)


def reason(spec: Experiment, derived: dict[str, Any]) -> str:
    """Why the step is (not) compiled, for `explain`."""
    choice = spec.train.compile
    if choice != "auto":
        return "torch.compile'd (train.compile: true)" if choice else "not compiled (train.compile: false)"
    estimate = f"the eager steps would take ~{eager_seconds(spec, derived['flops_per_step']):.0f} s"
    threshold = pays_after(spec)
    if derived["execution"]["compiled"]:
        return f"torch.compile'd (train.compile: auto: {estimate}, over the {threshold:.0f} s from which compiling pays)"
    if spec.device == "mps":
        return "not compiled (train.compile: auto never compiles on mps)"
    if threshold == float("inf"):
        return (f"not compiled (train.compile: auto: compiling a {spec.model.kind}'s step saves no time on a CPU; "
                "train.compile: true compiles anyway)")
    return (f"not compiled (train.compile: auto: {estimate}, under the {threshold:.0f} s from which compiling "
            "pays; train.compile: true compiles anyway)")
