"""The torch runtime, installed as `clockspec.runtime`: run a compiled plan, record its
metrics, measure its clocks. The only part of clockspec that imports torch."""
from clockspec.runtime.runner import RunResult, run

__all__ = ["RunResult", "run"]
