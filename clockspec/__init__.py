"""clockspec: a declarative experiment language and compiler for training-dynamics research.

The compiler side never imports torch; `clockspec.runtime` is the only torch code.
"""
from __future__ import annotations

from .errors import Diagnostic, SpecError
from .families.expand import Member, expand
from .families.report import family_report
from .ir import Experiment, Family
from .loading import load, loads
from .plan import Plan, PlanNode, compile

__version__ = "0.1.0"

__all__ = ["Diagnostic", "Experiment", "Family", "Member", "Plan", "PlanNode", "SpecError", "compile",
           "expand", "family_report", "load", "loads", "__version__"]
