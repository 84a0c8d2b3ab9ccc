"""clockspec: a declarative experiment language and compiler for training-dynamics research.

The compiler side never imports torch; `clockspec.runtime` is the only torch code.
"""
from __future__ import annotations

from .diff import Change, SpecDiff, apply, diff
from .errors import Diagnostic, RunError, SpecError
from .families.expand import Member, expand
from .families.report import family_report
from .ir import Experiment, Family
from .loading import load, loads
from .plan import Plan, PlanNode, compile
from .printers import dumps

__version__ = "0.1.0"

__all__ = ["Change", "Diagnostic", "Experiment", "Family", "Member", "Plan", "PlanNode", "RunError", "SpecDiff", "SpecError",
           "apply", "compile", "diff", "dumps", "expand", "family_report", "load", "loads", "__version__"]
