"""The task zoo: sparse parity, finite groups, regression teachers, plain addition.

Each is one registered class, carrying every fact the compiler asks of a task (see
`clockspec.ir.tasks`); the file-backed `dataset` task is in `clockspec.ir.dataset_task`.
This module closes the registry into the union the IR validates against (`TaskSpec`).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar, Literal, Optional

from pydantic import Field, model_validator

from clockspec.ir import dataset_task  # noqa: F401  (registers the dataset task)
from clockspec.ir.base import Axis, field_error
from clockspec.ir.tasks import MAX_SEED, TASKS, Classes, OnlineSamples, TaskBase


def _split(train_fraction: float, n: int) -> tuple[int, int]:
    n_train = min(max(round(train_fraction * n), 1), n - 1)
    return n_train, n - n_train


def _fraction_axis(f: float) -> list[Axis]:
    moved = [round(v, 2) for v in (f - 0.2, f + 0.2) if 0.05 <= round(v, 2) <= 0.95]
    return [Axis("train_fraction", moved, "moved by 0.2")]


@TASKS.register
class SparseParityTask(Classes, OnlineSamples):
    """Random +-1 strings of `bits` bits labelled by the parity of `relevant` of them (Barak et al. 2022)."""

    kind: Literal["sparse_parity"]
    bits: int = Field(40, ge=1, le=4096)
    """n: length of each input string."""
    relevant: int = Field(3, ge=1)
    """k: how many (seeded) positions the label is the parity of."""
    train_size: int = Field(1000, ge=1, le=10_000_000)
    """Training strings."""
    test_size: int = Field(1000, ge=1, le=10_000_000)
    """Test strings."""
    data_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the relevant positions and of the strings."""

    split_fields: ClassVar[tuple[str, ...]] = ("train_size", "test_size", "label_noise")
    per_member_fields: ClassVar[tuple[str, ...]] = ()
    token_inputs: ClassVar[bool] = False
    dense_inputs: ClassVar[str] = ""

    @model_validator(mode="after")
    def _relevant_fits(self) -> SparseParityTask:
        if self.relevant > self.bits:
            raise field_error("relevant", f"relevant = {self.relevant} exceeds bits = {self.bits}")
        return self

    def sizes(self) -> dict[str, int]:
        return {"input_dim": self.bits, "output_dim": 2, "n_train": self.train_size, "n_test": self.test_size}

    def example_bytes(self, dtype_bytes: int) -> int:
        return self.bits * dtype_bytes

    def describe(self, sizes: Mapping[str, int]) -> str:
        return (f"random +-1 strings of {self.bits} bits labelled by the parity of {self.relevant} seeded positions; "
                f"{self.train_size:,} training and {self.test_size:,} test strings (data seed {self.data_seed})."
                + self.noise_words(self.train_size) + self.online_words("strings"))

    def summary(self) -> str:
        return f"({self.bits}, {self.relevant}) sparse parity"

    def ablation_axes(self) -> list[Axis]:
        return [Axis("train_size", [max(1, self.train_size // 2), self.train_size * 2], "halved and doubled")]


GROUP_LIMITS = {"symmetric": 6, "cyclic": 4096, "dihedral": 2048}


@TASKS.register
class GroupTask(Classes):
    """All pairs (a, b) of a finite group labelled by a∘b, as two tokens (Power et al. 2022)."""

    kind: Literal["group"]
    group: Literal["symmetric", "cyclic", "dihedral"] = "symmetric"
    """S_n (permutations of n points), C_n (rotations) or D_n (symmetries of an n-gon)."""
    n: int = Field(5, ge=1)
    """The group's degree: S_n has n! elements, C_n n, D_n 2n."""
    train_fraction: float = Field(0.5, gt=0.0, lt=1.0)
    """Share of all pairs used for training; the rest is the test set."""
    split_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the train/test split."""

    split_fields: ClassVar[tuple[str, ...]] = ("train_fraction", "split_seed", "label_noise")
    per_member_fields: ClassVar[tuple[str, ...]] = ("split_seed",)
    token_inputs: ClassVar[bool] = True
    dense_inputs: ClassVar[str] = "the two elements one-hot"

    @model_validator(mode="after")
    def _small_enough(self) -> GroupTask:
        limit = GROUP_LIMITS[self.group]
        if self.n > limit:
            raise field_error("n", f"a {self.group} group of degree {self.n} is too large here; n is at most {limit}")
        if self.n < (3 if self.group == "dihedral" else 2):
            least = "3 (the symmetries of a triangle)" if self.group == "dihedral" else "2"
            raise field_error("n", f"a {self.group} group needs degree n >= {least}; got {self.n}")
        return self

    @property
    def order(self) -> int:
        return {"symmetric": math.factorial(self.n), "cyclic": self.n, "dihedral": 2 * self.n}[self.group]

    def sizes(self) -> dict[str, int]:
        n_train, n_test = _split(self.train_fraction, self.order**2)
        return {"input_dim": 2 * self.order, "output_dim": self.order, "vocab": self.order, "arity": 2,
                "n_train": n_train, "n_test": n_test}

    def example_bytes(self, dtype_bytes: int) -> int:
        return 2 * 8

    def describe(self, sizes: Mapping[str, int]) -> str:
        name = {"symmetric": "S", "cyclic": "C", "dihedral": "D"}[self.group] + str(self.n)
        return (f"`a∘b` over all {self.order**2:,} pairs of the {self.group} group {name} ({self.order} elements, as "
                f"tokens); {self.train_fraction:.0%} of them ({sizes['n_train']:,}) are the training set and the other "
                f"{sizes['n_test']:,} the test set (split seed {self.split_seed}). {self.order} classes."
                + self.noise_words(sizes["n_train"]))

    def summary(self) -> str:
        return f"{self.group} group of degree {self.n}, train fraction {self.train_fraction:g}"

    def ablation_axes(self) -> list[Axis]:
        return _fraction_axis(self.train_fraction)


@TASKS.register
class AdditionTask(Classes):
    """All pairs (a, b) of 0..operands-1 labelled by a + b, not reduced (Liu et al. 2022): 2*operands - 1 classes."""

    kind: Literal["addition"]
    operands: int = Field(10, ge=2, le=4096)
    """p: the operands are 0..p-1, the sums 0..2p-2."""
    train_fraction: float = Field(0.5, gt=0.0, lt=1.0)
    """Share of all pairs used for training; the rest is the test set."""
    split_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the train/test split."""

    split_fields: ClassVar[tuple[str, ...]] = ("train_fraction", "split_seed", "label_noise")
    per_member_fields: ClassVar[tuple[str, ...]] = ("split_seed",)
    token_inputs: ClassVar[bool] = True
    dense_inputs: ClassVar[str] = "the two operands one-hot"

    def sizes(self) -> dict[str, int]:
        n_train, n_test = _split(self.train_fraction, self.operands**2)
        return {"input_dim": 2 * self.operands, "output_dim": 2 * self.operands - 1, "vocab": self.operands, "arity": 2,
                "n_train": n_train, "n_test": n_test}

    def example_bytes(self, dtype_bytes: int) -> int:
        return 2 * 8

    def describe(self, sizes: Mapping[str, int]) -> str:
        p = self.operands
        return (f"`a + b` (not reduced) over all {p * p:,} pairs of 0..{p - 1}; {self.train_fraction:.0%} of them "
                f"({sizes['n_train']:,}) are the training set and the other {sizes['n_test']:,} the test set "
                f"(split seed {self.split_seed}). {2 * p - 1} classes." + self.noise_words(sizes["n_train"]))

    def summary(self) -> str:
        return f"a + b over 0..{self.operands - 1}, train fraction {self.train_fraction:g}"

    def ablation_axes(self) -> list[Axis]:
        return _fraction_axis(self.train_fraction)


@TASKS.register
class RegressionTask(TaskBase, OnlineSamples):
    """Gaussian inputs, real targets from a random teacher: linear, or a polynomial of its projections (for MSE)."""

    kind: Literal["regression"]
    inputs: int = Field(16, ge=1, le=65536)
    """Input dimension d."""
    outputs: int = Field(1, ge=1, le=65536)
    """Target dimension."""
    target: Literal["linear", "polynomial", "hermite"] = "linear"
    """`linear`: y = W x / sqrt(d); `polynomial`: y_o = sum_j c_oj z_o^j with z = W x / sqrt(d), j = 1..degree
    (or the given `coefficients` of a unit projection); `hermite`: y_o = He_degree(u_o . x), u_o a seeded unit vector."""
    degree: int = Field(2, ge=1, le=8)
    """Highest power of a random polynomial target; k of a Hermite target He_k."""
    coefficients: Optional[list[float]] = Field(None, min_length=1, max_length=9)
    """A polynomial target named exactly: y_o = sum_j c_j z_o^j for j = 0..len - 1, the same c for every output,
    with z_o = u_o . x (u_o a seeded unit vector, so z_o ~ N(0, 1)); `[0, 0, 1]` is z^2. Absent: random c_oj."""
    train_size: int = Field(256, ge=1, le=10_000_000)
    """Training examples."""
    test_size: int = Field(1024, ge=1, le=10_000_000)
    """Test examples."""
    data_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the inputs and the teacher."""

    split_fields: ClassVar[tuple[str, ...]] = ("train_size", "test_size")
    per_member_fields: ClassVar[tuple[str, ...]] = ()
    token_inputs: ClassVar[bool] = False
    dense_inputs: ClassVar[str] = ""
    value_targets: ClassVar[bool] = True

    @model_validator(mode="after")
    def _coefficients_of_a_polynomial(self) -> RegressionTask:
        if self.coefficients is not None and self.target != "polynomial":
            raise field_error("coefficients", f"coefficients name a polynomial target, and the target is {self.target}",
                              "set target: polynomial, or drop coefficients")
        return self

    def sizes(self) -> dict[str, int]:
        return {"input_dim": self.inputs, "output_dim": self.outputs,
                "n_train": self.train_size, "n_test": self.test_size}

    def example_bytes(self, dtype_bytes: int) -> int:
        return (self.inputs + self.outputs) * dtype_bytes

    def target_words(self) -> str:
        """The target as explain says it."""
        if self.target == "hermite":
            return f"the Hermite polynomial He_{self.degree} of a seeded unit projection u . x"
        if self.coefficients is not None:
            terms = " + ".join(f"{c:g} z^{j}" for j, c in enumerate(self.coefficients) if c != 0) or "0"
            return f"the polynomial {terms} of a seeded unit projection z = u . x"
        return ("a random linear teacher" if self.target == "linear"
                else f"a random degree-{self.degree} polynomial of a linear teacher's projections")

    def describe(self, sizes: Mapping[str, int]) -> str:
        what = self.target_words()
        return (f"Gaussian inputs in R^{self.inputs}, {self.outputs} real target(s) from {what}; "
                f"{self.train_size:,} training and {self.test_size:,} test points (data seed {self.data_seed})."
                + self.online_words("points"))

    def summary(self) -> str:
        return f"{self.target} regression teacher"

    def ablation_axes(self) -> list[Axis]:
        return [Axis("train_size", [max(1, self.train_size // 2), self.train_size * 2], "halved and doubled")]


TaskSpec = TASKS.union()
