"""The torch runtime, installed as `clockspec.runtime`: run a compiled plan, record its
metrics, measure its clocks. The only part of clockspec that imports torch."""
from clockspec.runtime.runner import RunResult, run
from clockspec.runtime.snapshots import load_model

__all__ = ["RunResult", "load_model", "run"]
