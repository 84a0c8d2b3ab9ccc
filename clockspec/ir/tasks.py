"""Task kinds: what data an experiment trains on."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from clockspec.ir.base import KindRegistry, Strict, field_error

TASKS = KindRegistry("task")

# Binary operations on Z_p. `div` needs b != 0 and an inverse, so a prime modulus.
MODULAR_OPS = {
    "add": "a + b",
    "sub": "a - b",
    "mul": "a * b",
    "div": "a / b (b != 0)",
    "x2_plus_y2": "a^2 + b^2",
    "x2_plus_xy_plus_y2": "a^2 + a*b + b^2",
    "x3_plus_xy": "a^3 + a*b",
}
PRIME_OPS = {"div"}


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    f = 2
    while f * f <= n:
        if n % f == 0:
            return False
        f += 1
    return True


def _prime_below(n: int) -> int:
    return next((k for k in range(n - 1, 1, -1) if is_prime(k)), 2)


def _prime_above(n: int) -> int:
    return next(k for k in range(n + 1, 2 * n + 2) if is_prime(k))


@TASKS.register
class ModularTask(Strict):
    """All pairs (a, b) of Z_p labelled by `op(a, b) mod p`, split at random into train/test."""

    kind: Literal["modular"]
    op: Literal["add", "sub", "mul", "div", "x2_plus_y2", "x2_plus_xy_plus_y2", "x3_plus_xy"] = "add"
    """The operation on (a, b); `div` needs b != 0 and a prime modulus."""
    modulus: int = Field(97, ge=2, le=4096)
    """p: operands and labels live in Z_p."""
    train_fraction: float = Field(0.3, gt=0.0, lt=1.0)
    """Share of all pairs used for training; the rest is the test set."""
    split_seed: int = Field(0, ge=0)
    """Seed of the train/test split."""

    @model_validator(mode="after")
    def _prime_where_needed(self) -> ModularTask:
        if self.op in PRIME_OPS and not is_prime(self.modulus):
            raise field_error("modulus", f"op '{self.op}' needs a prime modulus; {self.modulus} is not prime",
                              f"the nearest primes are {_prime_below(self.modulus)} and {_prime_above(self.modulus)}")
        return self

    @property
    def inputs(self) -> int:
        return 2 * self.modulus

    @property
    def classes(self) -> int:
        return self.modulus

    @property
    def n_pairs(self) -> int:
        return self.modulus * (self.modulus - 1) if self.op == "div" else self.modulus**2


@TASKS.register
class TeacherTask(Strict):
    """Gaussian inputs in R^inputs labelled by the argmax of a rank-`rank` linear teacher."""

    kind: Literal["teacher"]
    inputs: int = Field(16, ge=1, le=65536)
    """Input dimension."""
    classes: int = Field(4, ge=2, le=65536)
    """Number of classes K."""
    rank: int = Field(2, ge=1)
    """Rank of the linear teacher (at most min(inputs, classes))."""
    train_size: int = Field(256, ge=1, le=10_000_000)
    """Training examples."""
    test_size: int = Field(1024, ge=1, le=10_000_000)
    """Test examples."""
    data_seed: int = Field(0, ge=0)
    """Seed of the inputs and the teacher."""

    @model_validator(mode="after")
    def _rank_fits(self) -> TeacherTask:
        if self.rank > min(self.inputs, self.classes):
            raise field_error(
                "rank", f"rank {self.rank} exceeds min(inputs, classes) = {min(self.inputs, self.classes)}"
            )
        return self


TaskSpec = TASKS.union()
