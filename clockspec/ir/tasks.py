"""Task kinds: what data an experiment trains on, and every fact the compiler asks of one.

A task gives the model's view of its data (`sizes`), which of its fields choose the
train/test split rather than the labels (`split_fields`, the rest define the data), which
fields may differ inside a batch (`per_member_fields`), whether its inputs are tokens (`token_inputs`) and how a dense first layer reads them
(`dense_inputs`), the bytes of one example (`example_bytes`), its plain-language
description (`describe`, `summary`) and its ablation axes (`ablation_axes`).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Optional

from pydantic import Field, model_validator

from clockspec.ir.base import Axis, KindRegistry, Strict, false_as_absent, field_error

# torch.Generator().manual_seed and numpy's SeedSequence both take any integer in
# [0, 2**64 - 1] (torch refuses 2**64, numpy any negative): `check` refuses what `run` cannot use.
MAX_SEED = 2**64 - 1

TASKS = KindRegistry("task", required=(
    "sizes", "split_fields", "per_member_fields", "token_inputs", "dense_inputs", "example_bytes",
    "describe", "summary", "ablation_axes", "value_targets", "anchor", "data_problems", "content"))

# Binary operations on Z_p. `div` needs b != 0 and an inverse, so a prime modulus. `add`,
# `sub` and `mul` also take more operands, folded left to right (a - b - c).
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
FOLDED_OPS = {"add": "+", "sub": "-", "mul": "*"}  # the ops that take three or more operands
MAX_TUPLES = 4096**2  # p^arity examples at most (all of them are made): as many as two operands mod 4096


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


class TaskBase(Strict):
    """What most tasks share: class labels, and data made from the spec alone (no file)."""

    value_targets: ClassVar[bool] = False  # real-valued targets (MSE regression) instead of class labels

    def anchor(self, folder: Path) -> None:
        """Where the spec was read from (a task reading a file resolves its path there)."""

    def origin(self) -> Path | None:
        """The folder `anchor` gave, which a copy of the spec must be given too (None: the
        task reads no file, or was anchored nowhere)."""
        return None

    def data_problems(self) -> list[str]:
        """Why the task's data cannot be read, before anything trains (a file task's)."""
        return []

    def reads_file(self) -> bool:
        """Its data comes from a file beside the spec (so a run directory alone cannot rebuild it)."""
        return False

    def content(self) -> dict[str, Any]:
        """What identifies the data beyond the fields (a file's content hash), for the data node."""
        return {}


class LabelNoise(Strict):
    """round(fraction * n_train) training labels, chosen by `seed`, each replaced by another class."""

    fraction: float = Field(gt=0.0, lt=1.0)
    """Share of the training labels replaced."""
    seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of which labels, and of their new classes."""

    def count(self, n_train: int) -> int:
        return min(max(round(self.fraction * n_train), 1), n_train)


class Classes(TaskBase):
    """A classification task: its training labels may be noisy (`label_noise`)."""

    label_noise: Optional[LabelNoise] = None
    """A seeded share of the training labels replaced by another class (absent: none)."""

    def noise_words(self, n_train: int) -> str:
        if self.label_noise is None:
            return ""
        noise = self.label_noise
        return (f" {noise.count(n_train):,} training labels ({noise.fraction:.0%}, seed {noise.seed}) are replaced by "
                "another class.")


class OnlineSamples(Strict):
    """A task whose examples come from a distribution it can draw from without end, so a
    step may train on examples never seen before (online SGD, as Barak et al. 2022 train)."""

    online: Optional[bool] = None
    """`true`: every step trains on a fresh batch of min(`train.batch`, `train_size`) examples (`full`: `train_size`),
    drawn by the run's seed and the step, so a resumed or batched run draws the same ones; the fixed training set is
    then only measured (the train_* metrics) and the test set is the same as without it. Absent or false: every
    step reads the fixed training set."""

    @model_validator(mode="before")
    @classmethod
    def _fixed_is_the_default(cls, data: Any) -> Any:
        """`online: false` says what leaving it out says: one spelling, one hash."""
        return false_as_absent(data, "online")

    @model_validator(mode="after")
    def _noise_is_of_the_fixed_set(self) -> OnlineSamples:
        if self.online and getattr(self, "label_noise", None) is not None:
            raise field_error("online", "label_noise replaces labels of the fixed training set, and online steps "
                              "never read it", "drop label_noise, or online")
        return self

    def online_words(self, examples: str) -> str:
        """What explain adds: where the steps' examples come from."""
        if not self.online:
            return ""
        return (f" Online: every step trains on a fresh batch of {examples} drawn by the run's seed and the step; "
                f"the training {examples} are only measured.")


@TASKS.register
class ModularTask(Classes):
    """All pairs (a, b) of Z_p labelled by `op(a, b) mod p`, split at random into train/test."""

    kind: Literal["modular"]
    op: Literal["add", "sub", "mul", "div", "x2_plus_y2", "x2_plus_xy_plus_y2", "x3_plus_xy"] = "add"
    """The operation on (a, b); `div` needs b != 0 and a prime modulus."""
    modulus: int = Field(97, ge=2, le=4096)
    """p: operands and labels live in Z_p."""
    train_fraction: float = Field(0.3, gt=0.0, lt=1.0)
    """Share of all pairs used for training; the rest is the test set."""
    split_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the train/test split."""
    arity: Optional[int] = Field(None, ge=2, le=8)
    """How many operands (absent: two, a and b); three or more for add, sub and mul, folded left to right."""
    nonzero: Optional[list[Literal["a", "b"]]] = Field(None, min_length=1, max_length=2)
    """Operands that may not be 0: `[b]` keeps only the pairs with b != 0 (Grokfast's `a * b`);
    absent: every pair (`div` always leaves b = 0 out)."""

    split_fields: ClassVar[tuple[str, ...]] = ("train_fraction", "split_seed", "label_noise")
    per_member_fields: ClassVar[tuple[str, ...]] = ("split_seed",)
    token_inputs: ClassVar[bool] = True
    dense_inputs: ClassVar[str] = "the operands one-hot"

    @model_validator(mode="before")
    @classmethod
    def _two_operands_is_the_default(cls, data: Any) -> Any:
        """`arity: 2` says what leaving it out says: one spelling, one hash."""
        if isinstance(data, dict) and data.get("arity") == 2:
            return {k: v for k, v in data.items() if k != "arity"}
        return data

    @model_validator(mode="after")
    def _prime_where_needed(self) -> ModularTask:
        if self.op in PRIME_OPS and not is_prime(self.modulus):
            raise field_error("modulus", f"op '{self.op}' needs a prime modulus; {self.modulus} is not prime",
                              f"the nearest primes are {_prime_below(self.modulus)} and {_prime_above(self.modulus)}")
        if self.arity is not None and self.op not in FOLDED_OPS:
            raise field_error("arity", f"op '{self.op}' takes two operands",
                              f"three or more operands go with op {', '.join(FOLDED_OPS)}")
        if self.n_pairs > MAX_TUPLES:
            raise field_error("arity", f"{self.modulus}^{self.operand_count} = {self.n_pairs:,} examples, above the limit of "
                              f"{MAX_TUPLES:,}", "fewer operands or a smaller modulus")
        return self

    @model_validator(mode="after")
    def _nonzero_says_something(self) -> ModularTask:
        if self.nonzero is not None and len(set(self.nonzero)) < len(self.nonzero):
            raise field_error("nonzero", f"an operand is named twice in nonzero {self.nonzero}")
        if self.op == "div" and self.nonzero == ["b"]:
            raise field_error("nonzero", "op 'div' already leaves out b = 0", "drop nonzero, or name a")
        if self.nonzero is not None and self.arity is not None:
            raise field_error("nonzero", "nonzero names operands of a pair (a, b); this task has "
                              f"{self.arity} operands", "drop nonzero, or arity")
        return self

    @property
    def zero_free(self) -> frozenset[str]:
        """The operands that are never 0: `nonzero`'s, and b for div."""
        return frozenset(self.nonzero or ()) | ({"b"} if self.op == "div" else frozenset())

    @property
    def operand_count(self) -> int:
        return self.arity or 2

    @property
    def n_pairs(self) -> int:
        p = self.modulus
        if self.operand_count > 2:
            return p**self.operand_count
        return (p - 1 if "a" in self.zero_free else p) * (p - 1 if "b" in self.zero_free else p)

    def sizes(self) -> dict[str, int]:
        """Every operand one-hot for a dense model (input k p), or p tokens at k positions for an embedding."""
        n = self.n_pairs
        n_train = min(max(round(self.train_fraction * n), 1), n - 1)
        return {"input_dim": self.operand_count * self.modulus, "output_dim": self.modulus, "vocab": self.modulus,
                "arity": self.operand_count, "n_train": n_train, "n_test": n - n_train}

    def example_bytes(self, dtype_bytes: int) -> int:
        return self.operand_count * 8  # an int64 token per operand, whatever the run's dtype

    def describe(self, sizes: Mapping[str, int]) -> str:
        if self.operand_count > 2:
            names = [chr(ord("a") + i) for i in range(self.operand_count)]
            pairs, expr = f"{self.operand_count}-tuples ({', '.join(names)})", f" {FOLDED_OPS[self.op]} ".join(names)
        else:
            free = sorted(self.zero_free)
            pairs = f"pairs (a, b) with {' and '.join(f'{v} != 0' for v in free)}" if free else "pairs (a, b)"
            expr = MODULAR_OPS[self.op].split(" (")[0]
        return (f"`({expr}) mod {self.modulus}` over all {self.n_pairs:,} {pairs} of "
                f"Z_{self.modulus}; {self.train_fraction:.0%} of them ({sizes['n_train']:,}) are the training set and "
                f"the other {sizes['n_test']:,} the test set (split seed {self.split_seed}). {self.modulus} classes."
                + self.noise_words(sizes["n_train"]))

    def summary(self) -> str:
        operands = " ".join(chr(ord("a") + i) for i in range(1, self.operand_count))
        return f"(a {self.op} {operands}) mod {self.modulus}, train fraction {self.train_fraction:g}"

    def ablation_axes(self) -> list[Axis]:
        f = self.train_fraction
        moved = [round(v, 2) for v in (f - 0.2, f + 0.2) if 0.05 <= round(v, 2) <= 0.95]
        return [Axis("train_fraction", moved, "moved by 0.2")]


@TASKS.register
class TeacherTask(Classes, OnlineSamples):
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
    data_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the inputs and the teacher."""

    split_fields: ClassVar[tuple[str, ...]] = ("train_size", "test_size", "label_noise")
    per_member_fields: ClassVar[tuple[str, ...]] = ()
    token_inputs: ClassVar[bool] = False
    dense_inputs: ClassVar[str] = ""

    @model_validator(mode="after")
    def _rank_fits(self) -> TeacherTask:
        if self.rank > min(self.inputs, self.classes):
            raise field_error(
                "rank", f"rank {self.rank} exceeds min(inputs, classes) = {min(self.inputs, self.classes)}"
            )
        return self

    def sizes(self) -> dict[str, int]:
        return {"input_dim": self.inputs, "output_dim": self.classes,
                "n_train": self.train_size, "n_test": self.test_size}

    def example_bytes(self, dtype_bytes: int) -> int:
        return self.inputs * dtype_bytes  # real inputs in the run's dtype

    def describe(self, sizes: Mapping[str, int]) -> str:
        return (f"Gaussian inputs in R^{self.inputs}, labelled by the argmax of a rank-{self.rank} linear teacher "
                f"({self.classes} classes); {self.train_size:,} training and {self.test_size:,} test points "
                f"(data seed {self.data_seed})." + self.noise_words(self.train_size) + self.online_words("points"))

    def summary(self) -> str:
        return "teacher task"

    def ablation_axes(self) -> list[Axis]:
        return [Axis("train_size", [max(1, self.train_size // 2), self.train_size * 2], "halved and doubled")]

