"""Every kind the IR declares has its runtime piece, checked when the training step is imported:
a kind registered on the IR side without one is refused there, by name, never run as another
kind or discovered mid-run. Plugins' runtime pieces (entry-point group `clockspec.runtime_kinds`,
clockspec/ir/plugins.py) are loaded here; a plugin kind without its piece is refused alone, so
that only a spec using it fails, naming the plugin."""
from __future__ import annotations

from clockspec.ir.interventions import INTERVENTIONS as IR_INTERVENTIONS
from clockspec.ir.losses import LOSSES as IR_LOSSES
from clockspec.ir.metrics import METRICS as IR_METRICS
from clockspec.ir.models import MODELS as IR_MODELS
from clockspec.ir.optimizers import OPTIMIZERS as IR_OPTIMIZERS
from clockspec.ir.plugins import PLUGINS, RUNTIME_GROUP, load
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


RUNTIME_PLUGINS = load(RUNTIME_GROUP, {"task": TASKS, "model": MODELS, "optimizer": OPTIMIZERS, "metric": METRICS,
                                       "loss": LOSSES, "regularizer": REGULARIZERS})


def refuse_plugin_kinds_without_pieces() -> None:
    """Refuse, each alone, the kinds of loaded plugins that have no runtime piece."""
    for plugin in PLUGINS:
        for name, family in plugin.kinds.items() if plugin.problem is None else ():
            pieces = next(pieces for fam, _, pieces, _ in PIECES if fam == family)
            if name not in pieces:
                if name not in pieces.refused:  # (a refused runtime module has said why already)
                    pieces.refuse(name, f"the plugin {plugin.identity} gives no runtime piece for it (an entry "
                                        f"point '{name}' in the group '{RUNTIME_GROUP}' whose module registers it)")
                plugin.runtime_problems[name] = pieces.refused[name]


def missing_pieces() -> list[str]:
    """What each IR kind without its runtime piece lacks, one line each (plugins' kinds aside:
    they are refused alone)."""
    return [f"{family} kind {name!r} has no runtime piece ({what})"
            for family, declared, pieces, what in PIECES for name in declared
            if name not in pieces and name not in pieces.refused]


def check() -> None:
    """Refuse an IR kind without its runtime piece, naming every one that lacks it."""
    refuse_plugin_kinds_without_pieces()
    missing = missing_pieces()
    if missing:
        raise TypeError("; ".join(missing) + " (see docs/extending.md)")
