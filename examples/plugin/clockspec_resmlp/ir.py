"""The IR side of `res_mlp` (a model), `sign_parity` (a task), `ntk_alignment` (a metric) and
`signum` (an optimizer): their fields and every fact the compiler, explain and ablate ask.
Imported through the entry points of the group `clockspec.kinds`; torch-free."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from clockspec.ir.base import Axis, field_error, format_number
from clockspec.ir.metrics import FRACTION, Metric, register
from clockspec.ir.models import MODELS
from clockspec.ir.optimizers import OPTIMIZERS, OptimizerBase
from clockspec.ir.parametrization import Parametrized
from clockspec.ir.tasks import MAX_SEED, TASKS, Classes


def layer_names(depth: int) -> list[str]:
    """`stem`, `blocks.0` ... `blocks.{depth-1}`, `head`: the layers, input to output."""
    return ["stem", *(f"blocks.{i}" for i in range(depth)), "head"]


@MODELS.register
class ResMLP(Parametrized):
    """A residual MLP on dense inputs: a linear stem to `width`, `depth` blocks
    h <- h + relu(W h + b), then a linear head."""

    kind: Literal["res_mlp"]
    width: int = Field(64, ge=1, le=65536)
    """Width of the residual stream."""
    depth: int = Field(2, ge=1, le=64)
    """Number of residual blocks."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights."""
    bias: bool = True
    """Whether layers have biases."""

    lookup_tables: ClassVar[tuple[str, ...]] = ()
    hashed_sizes: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    per_member_fields: ClassVar[tuple[str, ...]] = ("init_scale",)
    embeds_tokens: ClassVar[bool] = False
    projects_embeddings: ClassVar[bool] = False
    compile_saving: ClassVar[float] = 0.0  # not measured: never compiled by `auto`
    linear_depth: ClassVar[None] = None
    relu_units: ClassVar[bool] = True

    def param_shapes(self, sizes: Mapping[str, int]) -> list[tuple[str, list[int]]]:
        dims = [(self.width, sizes["input_dim"])] + [(self.width, self.width)] * self.depth
        dims.append((sizes["output_dim"], self.width))
        shapes = []
        for name, (fan_out, fan_in) in zip(layer_names(self.depth), dims):
            shapes.append((f"{name}.weight", [fan_out, fan_in]))
            if self.has_bias(name):
                shapes.append((f"{name}.bias", [fan_out]))
        return shapes

    def task_misfit(self, task: Any) -> tuple[str, str] | None:
        if not task.token_inputs:
            return None
        return (f"res_mlp reads real-valued inputs, but a {task.kind} task's inputs are token indices",
                "use model embed_mlp or mlp for this task")

    def describe(self, task: Any, sizes: Mapping[str, int]) -> str:
        return (f"a residual MLP from {sizes['input_dim']} inputs: a linear stem to width {self.width}, "
                f"{self.depth} residual blocks h + relu(W h + b), a linear head to {sizes['output_dim']} outputs, "
                f"{'with' if self.bias else 'no'} biases. Init scale {format_number(self.init_scale)}.")

    def summary(self) -> str:
        return f"res_mlp {self.width}x{self.depth}"

    def ablation_axes(self) -> list[Axis]:
        return [Axis("depth", [d for d in (self.depth - 1, self.depth + 1) if d >= 1], "one block fewer and more"),
                Axis("width", [w for w in (self.width // 2, self.width * 2) if w >= 1], "halved and doubled")]


@TASKS.register
class SignParity(Classes):
    """Gaussian inputs in R^inputs labelled by the parity of the signs of their first `relevant`
    coordinates: a `relevant`-operand XOR, no linear function of any fewer of them."""

    kind: Literal["sign_parity"]
    inputs: int = Field(16, ge=1, le=65536)
    """Input dimension."""
    relevant: int = Field(3, ge=1, le=64)
    """How many coordinates (operands) the label depends on."""
    train_size: int = Field(256, ge=1, le=10_000_000)
    """Training examples."""
    test_size: int = Field(1024, ge=1, le=10_000_000)
    """Test examples."""
    data_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of the inputs."""

    split_fields: ClassVar[tuple[str, ...]] = ("train_size", "test_size", "label_noise")
    per_member_fields: ClassVar[tuple[str, ...]] = ()
    token_inputs: ClassVar[bool] = False
    dense_inputs: ClassVar[str] = ""

    @model_validator(mode="after")
    def _relevant_fits(self) -> SignParity:
        if self.relevant > self.inputs:
            raise field_error("relevant", f"relevant {self.relevant} exceeds inputs = {self.inputs}")
        return self

    def sizes(self) -> dict[str, int]:
        return {"input_dim": self.inputs, "output_dim": 2, "n_train": self.train_size, "n_test": self.test_size}

    def example_bytes(self, dtype_bytes: int) -> int:
        return self.inputs * dtype_bytes

    def describe(self, sizes: Mapping[str, int]) -> str:
        return (f"Gaussian inputs in R^{self.inputs}, labelled by the parity of the signs of their first "
                f"{self.relevant} coordinates; {self.train_size:,} training and {self.test_size:,} test points "
                f"(data seed {self.data_seed})." + self.noise_words(self.train_size))

    def summary(self) -> str:
        return f"sign parity of {self.relevant}"

    def ablation_axes(self) -> list[Axis]:
        return [Axis("train_size", [max(1, self.train_size // 2), self.train_size * 2], "halved and doubled")]


NTK_EXAMPLES = 32
"""ntk_alignment's kernel is over the first this-many training examples: its cost is one
backward pass per example and class, whatever the training set's size."""


def _class_labels(spec: Any) -> str | None:
    if spec.task.value_targets:
        return f"needs class labels, and task {spec.task.kind} has real-valued targets"
    return None


register(Metric(
    "ntk_alignment",
    f"centred alignment (Cortes, Mohri and Rostamizadeh 2012, JMLR 13) of the empirical neural tangent kernel "
    f"K(x, x') = sum_c <d logit_c(x)/d theta, d logit_c(x')/d theta> with the one-hot label kernel Y Y^T, over the "
    f"first {NTK_EXAMPLES} training examples, in [0, 1]: the tangent kernel aligning with the task as features are "
    f"learned (Baratin et al. 2021)",
    requires=_class_labels,
    structural=True,
    cost=f"the Jacobian of the logits over {NTK_EXAMPLES} training examples (a backward pass per example and class)",
    range=FRACTION,
))


@OPTIMIZERS.register
class Signum(OptimizerBase):
    """Signum (Bernstein et al. 2018, "signSGD: Compressed Optimisation for Non-Convex
    Problems", ICML, Algorithm 1): m <- momentum * m + (1 - momentum) * g, then
    p <- p - lr * sign(m); one state tensor per parameter."""

    kind: Literal["signum"]
    lr: float = Field(1e-4, gt=0.0, le=1e3)
    """Learning rate (the peak, under a schedule): each coordinate moves by lr a step."""
    momentum: float = Field(0.9, ge=0.0, lt=1.0)
    """Decay of the gradient's moving average, whose sign is the step (0: signSGD)."""

    adaptive: ClassVar[bool] = True  # per-coordinate steps of equal size, whatever the gradient's scale
    state_tensors: ClassVar[int] = 1
    plain_gradient_descent: ClassVar[bool] = False

    def describe(self) -> str:
        return (f"signum at lr {format_number(self.lr)}, momentum {format_number(self.momentum)} (the sign of the "
                "gradient's moving average)" + self.filter_words())
