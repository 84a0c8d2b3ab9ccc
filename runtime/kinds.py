"""Every kind the IR declares has its runtime piece, checked when the training step is imported:
a kind registered on the IR side without one is refused there, by name, never run as another
kind or discovered mid-run."""
from __future__ import annotations

from clockspec.ir.interventions import INTERVENTIONS as IR_INTERVENTIONS
from clockspec.ir.losses import LOSSES as IR_LOSSES
from clockspec.ir.metrics import METRICS as IR_METRICS
from clockspec.ir.models import MODELS as IR_MODELS
from clockspec.ir.optimizers import OPTIMIZERS as IR_OPTIMIZERS
from clockspec.ir.regularizers import REGULARIZERS as IR_REGULARIZERS
from clockspec.ir.tasks import TASKS as IR_TASKS
from clockspec.runtime.interventions import INTERVENTIONS
from clockspec.runtime.metrics import METRICS
from clockspec.runtime.models import MODELS
from clockspec.runtime.objective import LOSSES
from clockspec.runtime.optimizers import OPTIMIZERS
from clockspec.runtime.regularizers import REGULARIZERS
from clockspec.runtime.tasks import TASKS

PIECES = [  # (family, the IR's kinds, the runtime's pieces, what the piece is)
    ("task", IR_TASKS, TASKS, "a data builder in runtime/tasks.py"),
    ("model", IR_MODELS, MODELS, "a builder with a stacked forward in runtime/models/"),
    ("regularizer", IR_REGULARIZERS, REGULARIZERS, "a builder in runtime/regularizers.py"),
    ("optimizer", IR_OPTIMIZERS, OPTIMIZERS, "an update rule in runtime/optimizers.py"),
    ("intervention", IR_INTERVENTIONS, INTERVENTIONS, "a hook in runtime/interventions/"),
    ("loss", IR_LOSSES, LOSSES, "a LossKind in runtime/objective.py"),
    ("metric", IR_METRICS, METRICS, "a measure in runtime/metrics.py"),
]


def missing_pieces() -> list[str]:
    """What each IR kind without its runtime piece lacks, one line each."""
    return [f"{family} kind {name!r} has no runtime piece ({what})"
            for family, declared, pieces, what in PIECES for name in declared if name not in pieces]


def check() -> None:
    """Refuse an IR kind without its runtime piece, naming every one that lacks it."""
    missing = missing_pieces()
    if missing:
        raise TypeError("; ".join(missing) + " (see docs/extending.md)")
