"""clockspec: a declarative experiment language and compiler for training-dynamics research.

The compiler side never imports torch; `clockspec.runtime` is the only torch code.
"""
from __future__ import annotations

from .errors import Diagnostic, SpecError
from .ir import Experiment, Family
from .loading import load, loads
from .printers import dumps

__version__ = "0.1.0"

__all__ = ["Diagnostic", "Experiment", "Family", "SpecError", "dumps", "load", "loads", "__version__"]
