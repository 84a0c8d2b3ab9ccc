"""The torch runtime, installed as `clockspec.runtime`: run a compiled plan, record its
metrics, measure its clocks. The only part of clockspec that imports torch, and only when
it trains or loads a model: reusing a finished run imports none."""
from typing import Any

from clockspec.runtime.runner import RunResult, run

__all__ = ["RunResult", "load_model", "run"]


def load_model(run_dir: Any, step: Any = None, device: str = "cpu") -> Any:
    """The model a run's snapshot at `step` holds (see `clockspec.runtime.snapshots`)."""
    from clockspec.runtime.snapshots import load_model as load

    return load(run_dir, step, device)
