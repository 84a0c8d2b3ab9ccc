"""clockspec: a declarative experiment language and compiler for training-dynamics research.

The compiler side never imports torch; `clockspec.runtime` is the only torch code.
"""
from __future__ import annotations

from clockspec.api import Result, run, runs
from clockspec.compiler.plan import Plan, PlanNode, compile
from clockspec.core.errors import Diagnostic, RunError, SpecError
from clockspec.core.version import __version__
from clockspec.diff.changes import Change, apply
from clockspec.diff.spec_diff import SpecDiff, diff
from clockspec.families.expand import Member, expand
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax.loading import load, loads
from clockspec.syntax.printing import dumps

__all__ = ["Change", "Diagnostic", "Experiment", "Family", "Member", "Plan", "PlanNode", "Result", "RunError", "SpecDiff",
           "SpecError", "apply", "compile", "diff", "dumps", "expand", "family_report", "load", "loads", "run", "runs",
           "__version__"]


def __getattr__(name: str):
    """`clockspec.family_report` on first use: the report layer needs numpy (the `run`
    extra), which loading, checking, formatting and diffing specs never import."""
    if name == "family_report":
        from clockspec.report.family_summary import family_report

        return family_report
    raise AttributeError(f"module 'clockspec' has no attribute {name!r}")
