"""The IR side of `res_mlp`: its fields and every fact the compiler, explain and ablate ask.

Imported through the entry point `res_mlp` of the group `clockspec.kinds`; torch-free."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from clockspec.ir.base import Axis, format_number
from clockspec.ir.models import MODELS
from clockspec.ir.parametrization import Parametrized


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
