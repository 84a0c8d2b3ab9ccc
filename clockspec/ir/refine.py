"""`vary.refine`: a two-axis region sampled where the phase changes (docs/phases.md).

The region is a lattice of `(coarse - 1) * 2**levels + 1` points per axis; the first round
samples every `2**levels`-th point (the coarse grid), and each later round halves only the
cells whose corners disagree in phase, until `levels` halvings or the `budget` of members.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from clockspec.ir.base import Strict, field_error
from clockspec.ir.tasks import MAX_SEED

AxisPath = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
DIGITS = 4  # a lattice value is rounded to this many significant digits: names and files stay readable


class RefineAxis(Strict):
    """One axis of the region: a dotted path, its bounds and its scale."""

    path: AxisPath
    """The IR path the axis sets (`regularizers.weight_decay.strength`)."""
    low: float
    """The region's lower bound (included)."""
    high: float
    """The region's upper bound (included)."""
    scale: Literal["linear", "log"] = "linear"
    """`log`: the points are evenly spaced in log(value) (bounds above 0)."""

    @model_validator(mode="after")
    def _ordered(self) -> RefineAxis:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise field_error("low", f"an axis needs finite bounds with low below high; got {self.low}..{self.high}")
        if self.scale == "log" and self.low <= 0:
            raise field_error("low", f"a log axis needs bounds above 0; got low {self.low}")
        return self

    def value(self, u: float) -> float:
        """The value at the fraction u (0..1) of the axis, rounded to DIGITS significant digits."""
        if self.scale == "log":
            raw = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            raw = self.low + u * (self.high - self.low)
        return float(f"{raw:.{DIGITS}g}")


class Refine(Strict):
    """Adaptive refinement of a two-axis region, toward the phase boundaries."""

    x: RefineAxis
    """The horizontal axis."""
    y: RefineAxis
    """The vertical axis."""
    coarse: int = Field(3, ge=2, le=33)
    """Points per axis of the first grid."""
    levels: int = Field(2, ge=0, le=6)
    """How many times a cell may be halved: the finest spacing is the coarse one over 2**levels."""
    budget: Optional[int] = Field(None, ge=1, le=100_000)
    """At most this many members (points x seeds); none: only `levels` limits the refinement."""
    seeds: list[Annotated[int, Field(ge=0, le=MAX_SEED)]] = Field(default_factory=list, max_length=64)
    """Seeds per point (the point's phase is their majority); empty: the base's seed alone."""

    @model_validator(mode="after")
    def _distinct(self) -> Refine:
        if self.x.path == self.y.path:
            raise field_error("y", f"the two axes set the same path '{self.x.path}'")
        if len(set(self.seeds)) != len(self.seeds):
            raise field_error("seeds", "a seed is listed twice")
        return self

    @property
    def size(self) -> int:
        """Points per axis of the finest lattice."""
        return (self.coarse - 1) * 2 ** self.levels + 1

    @property
    def per_point(self) -> int:
        return max(1, len(self.seeds))
