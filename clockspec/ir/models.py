"""Model kinds: what is trained, and every fact the compiler asks of one.

A model gives its parameter layout (`param_shapes`, the contract the runtime builds to),
the parameters read by index rather than multiplied (`lookup_tables`), the task sizes its
architecture is built from (`hashed_sizes`), the fields that may differ inside a batch of
runs (`per_member_fields`), its capabilities, whether
it can train on a task (`task_misfit`), its plain-language description (`describe`,
`summary`) and its ablation axes (`ablation_axes`).

Capabilities, which metrics and the theory ask: `embeds_tokens`, `projects_embeddings` (its
first layer is a linear map of the embeddings, which the stacked step computes as a per-token
projection gather: compiler/batching.first_layer), `compile_saving` (the share of its eager
stacked step's CPU time that torch.compile saves, measured: compiler/compile_cost.py),
`relu_units` (its on/off
pattern makes it piecewise linear) and `linear_depth`, the L of a model that is a product of
L matrices, one linear map end to end. A kind that never is one sets `linear_depth` to None
as a class variable, so that the capable kinds can be named from their classes.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import Field, model_validator

from clockspec.ir.base import Axis, KindRegistry, false_as_absent, format_number
from clockspec.ir.parametrization import Parametrized

MODELS = KindRegistry("model", fields=("init_scale",), required=(
    "param_shapes", "lookup_tables", "hashed_sizes", "per_member_fields", "embeds_tokens",
    "projects_embeddings", "compile_saving", "linear_depth",
    "relu_units", "task_misfit", "describe", "summary", "ablation_axes"))

Activation = Literal["relu", "gelu", "quadratic", "linear"]
# Activations whose on/off pattern makes the network piecewise linear (pattern_flips is defined).
RELU_FAMILY = {"relu"}
Width = Annotated[int, Field(ge=1, le=65536)]
Shapes = list[tuple[str, list[int]]]


@MODELS.register
class DeepLinear(Parametrized):
    """W_L ... W_1 with no nonlinearity: the end-to-end map is one matrix."""

    kind: Literal["deep_linear"]
    depth: int = Field(3, ge=2, le=64)
    """Number of weight matrices L."""
    width: int = Field(32, ge=1, le=65536)
    """Width of the hidden layers."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights."""

    lookup_tables: ClassVar[tuple[str, ...]] = ()
    hashed_sizes: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    per_member_fields: ClassVar[tuple[str, ...]] = ("init_scale",)
    embeds_tokens: ClassVar[bool] = False
    projects_embeddings: ClassVar[bool] = False
    compile_saving: ClassVar[float] = 0.09  # 1.10x the eager steps/s on CPU (specs/deep_linear.yaml)
    relu_units: ClassVar[bool] = False

    def bias_layers(self, sizes: Mapping[str, int]) -> list[str]:
        return []  # a product of matrices: a bias would end the end-to-end map

    @property
    def linear_depth(self) -> int:
        """L: the end-to-end map is a product of this many matrices."""
        return self.depth

    def param_shapes(self, sizes: Mapping[str, int]) -> Shapes:
        """`layers.{i}.weight`, no biases, in -> width x (depth - 1) -> out."""
        dims = [sizes["input_dim"]] + [self.width] * (self.depth - 1) + [sizes["output_dim"]]
        return [(f"layers.{i}.weight", [dims[i + 1], dims[i]]) for i in range(self.depth)]

    def task_misfit(self, task: Any) -> tuple[str, str] | None:
        return None

    def describe(self, task: Any, sizes: Mapping[str, int]) -> str:
        n_in, n_out = sizes["input_dim"], sizes["output_dim"]
        return (f"a depth-{self.depth} linear network (width {self.width}, no biases, no nonlinearity) from "
                f"{n_in} inputs to {n_out} outputs; its end-to-end map W = W_{self.depth} ... W_1 "
                f"is a single {n_out} x {n_in} matrix. Init scale {format_number(self.init_scale)}.")

    def summary(self) -> str:
        return f"{self.kind} depth {self.depth}"

    def ablation_axes(self) -> list[Axis]:
        return [Axis("depth", [d for d in (self.depth - 1, self.depth + 1) if d >= 2], "one layer fewer and more"),
                Axis("width", [w for w in (self.width // 2, self.width * 2) if w >= 1], "halved and doubled")]


class _HiddenLayers(Parametrized):
    """MLP and EmbedMLP: hidden layers with an activation (`hidden`, `activation`), then a head."""

    per_member_fields: ClassVar[tuple[str, ...]] = ("init_scale",)
    linear_depth: ClassVar[None] = None

    @property
    def relu_units(self) -> bool:
        return self.activation in RELU_FAMILY

    def summary(self) -> str:
        return f"{self.kind} {self.hidden} {self.activation}"


@MODELS.register
class MLP(_HiddenLayers):
    """A fully connected network; a modular task feeds it the two operands one-hot."""

    kind: Literal["mlp"]
    hidden: list[Width] = Field(default_factory=lambda: [128], max_length=64)
    """Widths of the hidden layers."""
    activation: Activation = "relu"
    """Nonlinearity of the hidden layers."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights."""
    bias: bool = True
    """Whether layers have biases."""

    lookup_tables: ClassVar[tuple[str, ...]] = ()
    hashed_sizes: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    embeds_tokens: ClassVar[bool] = False
    projects_embeddings: ClassVar[bool] = False
    compile_saving: ClassVar[float] = 0.0  # 0.89-1.00x on CPU (specs/zoo/sparse_parity.yaml, omnigrok_large_init.yaml): never pays

    def param_shapes(self, sizes: Mapping[str, int]) -> Shapes:
        return _dense_layers(sizes["input_dim"], self.hidden, sizes["output_dim"], self.has_bias)

    def task_misfit(self, task: Any) -> tuple[str, str] | None:
        return None

    def describe(self, task: Any, sizes: Mapping[str, int]) -> str:
        how = f" ({task.dense_inputs})" if task.dense_inputs else ""
        return (f"an MLP {sizes['input_dim']}{how} -> {' -> '.join(map(str, self.hidden))} ({self.activation}) -> "
                f"{sizes['output_dim']}, {_biases(self.bias)}. Init scale {format_number(self.init_scale)}.")

    def ablation_axes(self) -> list[Axis]:
        return [_hidden_axis(self.hidden)]


@MODELS.register
class EmbedMLP(_HiddenLayers):
    """Token embeddings of the operands -> hidden layer(s) -> linear head (the paper's ReLU model)."""

    kind: Literal["embed_mlp"]
    embed_dim: int = Field(128, ge=1, le=65536)
    """Size of each token embedding."""
    combine: Literal["concat", "sum"] = "concat"
    """How the operands' embeddings meet: `concat` or `sum`."""
    hidden: list[Width] = Field(default_factory=lambda: [128], min_length=1, max_length=64)
    """Widths of the hidden layers."""
    activation: Activation = "relu"
    """Nonlinearity of the hidden layers."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights."""
    bias: bool = True
    """Whether layers have biases."""

    lookup_tables: ClassVar[tuple[str, ...]] = ("embed.weight",)
    hashed_sizes: ClassVar[tuple[str, ...]] = ("vocab", "output_dim")
    embeds_tokens: ClassVar[bool] = True
    projects_embeddings: ClassVar[bool] = True
    compile_saving: ClassVar[float] = 0.2  # 1.26-1.35x on CPU (specs/quickstart.yaml)

    def param_shapes(self, sizes: Mapping[str, int]) -> Shapes:
        """`embed.weight` (p x d, shared by every operand), then hidden layers and head as an MLP's."""
        first = sizes["arity"] * self.embed_dim if self.combine == "concat" else self.embed_dim
        embed = ("embed.weight", [sizes["vocab"], self.embed_dim])
        return [embed] + _dense_layers(first, self.hidden, sizes["output_dim"], self.has_bias)

    def task_misfit(self, task: Any) -> tuple[str, str] | None:
        if task.token_inputs:
            return None
        return (f"{self.kind} embeds tokens, but a {task.kind} task has real-valued inputs",
                "use model mlp or deep_linear for this task")

    def describe(self, task: Any, sizes: Mapping[str, int]) -> str:
        joined = "concatenated" if self.combine == "concat" else "summed"
        return (f"token embeddings ({sizes['vocab']} x {self.embed_dim}, shared by the {sizes['arity']} operands, {joined}) -> "
                f"{' -> '.join(map(str, self.hidden))} ({self.activation}) -> linear head to {sizes['output_dim']} "
                f"classes, {_biases(self.bias)}. Init scale {format_number(self.init_scale)}.")

    def ablation_axes(self) -> list[Axis]:
        return [_hidden_axis(self.hidden),
                Axis("embed_dim", [max(1, self.embed_dim // 2), self.embed_dim * 2], "halved and doubled")]


@MODELS.register
class Transformer(Parametrized):
    """A decoder-only transformer reading a binary operation as a token sequence (`a b =`),
    read out at the last position (Nanda et al. 2023; Power et al. 2022 with `a op b =`)."""

    kind: Literal["transformer"]
    layers: int = Field(1, ge=1, le=64)
    """Number of blocks (attention, then the MLP when `d_mlp` > 0)."""
    d_model: int = Field(128, ge=1, le=65536)
    """Width of the residual stream."""
    heads: int = Field(4, ge=1, le=1024)
    """Attention heads per block."""
    d_head: int = Field(32, ge=1, le=65536)
    """Width of each head's queries, keys and values."""
    d_mlp: int = Field(512, ge=0, le=262144)
    """Hidden width of each block's MLP; 0 is an attention-only transformer."""
    activation: Activation = "relu"
    """Nonlinearity of the MLPs."""
    layer_norm: Literal["none", "pre", "post"] = "none"
    """LayerNorm before each sublayer (and before the unembedding), after each residual add, or none."""
    attention: Literal["causal", "full"] = "causal"
    """`causal`: a position attends to itself and those before it; `full`: to every position."""
    tied: bool = False
    """Unembed with the embedding table's answer rows (W_U = W_E[:p]) instead of a head of its own."""
    sequence: Literal["a b =", "a op b ="] = "a b ="
    """How an example is written as tokens: Nanda's `a b =` or Power's `a op b =`; read out at `=`."""
    init_scale: float = Field(1.0, gt=0.0)
    """Multiplies the initial weights (N(0, 1/d_model); the head N(0, 1/p), as Nanda's code)."""
    bias: bool = True
    """Whether the MLPs have biases (the unembedding never does, as Nanda's model)."""
    attention_bias: Optional[bool] = None
    """`true`: the attention's query, key, value and output projections have biases (zero at initialisation), as
    torch's nn.MultiheadAttention and GPT-2 style decoders; absent or false: none, as Nanda's model."""

    lookup_tables: ClassVar[tuple[str, ...]] = ("embed.weight", "pos_embed.weight")
    hashed_sizes: ClassVar[tuple[str, ...]] = ("vocab", "output_dim")
    per_member_fields: ClassVar[tuple[str, ...]] = ("init_scale",)
    embeds_tokens: ClassVar[bool] = True
    projects_embeddings: ClassVar[bool] = False
    compile_saving: ClassVar[float] = 0.0  # 0.84x on CPU (specs/paper/nanda-cpu.yaml): never pays
    linear_depth: ClassVar[None] = None
    attends: ClassVar[bool] = True  # attention_entropy can be measured

    @model_validator(mode="before")
    @classmethod
    def _no_attention_bias_is_the_default(cls, data: Any) -> Any:
        """`attention_bias: false` says what leaving it out says: one spelling, one hash."""
        return false_as_absent(data, "attention_bias")

    @property
    def relu_units(self) -> bool:
        return self.d_mlp > 0 and self.activation in RELU_FAMILY

    @property
    def extra_tokens(self) -> list[str]:
        """The tokens after the p operand values: `=`, then `op` for Power's sequence."""
        return ["="] if self.sequence == "a b =" else ["=", "op"]

    def positions(self, arity: int) -> list[str]:
        """The sequence for `arity` operands: `a b =` is the operands then `=`, `a op b =` an
        `op` between consecutive operands (three operands: `a b c =`, `a op b op c =`)."""
        names = [chr(ord("a") + i) for i in range(arity)]
        if self.sequence == "a b =":
            return names + ["="]
        return [t for i, n in enumerate(names) for t in ([n] if i == 0 else ["op", n])] + ["="]

    def param_shapes(self, sizes: Mapping[str, int]) -> Shapes:
        """Torch's layout of the module runtime/models/transformer.py builds (weights (out, in))."""
        d, qkv = self.d_model, self.heads * self.d_head
        vocab, n_ctx = sizes["vocab"] + len(self.extra_tokens), len(self.positions(sizes["arity"]))
        shapes: Shapes = [("embed.weight", [vocab, d]), ("pos_embed.weight", [n_ctx, d])]
        for i in range(self.layers):
            block = f"blocks.{i}"
            shapes += self._norm(f"{block}.ln1")
            for m, out in (("query", qkv), ("key", qkv), ("value", qkv), ("out", d)):
                shapes.append((f"{block}.attn.{m}.weight", [out, qkv if m == "out" else d]))
                shapes += [(f"{block}.attn.{m}.bias", [out])] if self.attention_bias else []
            if self.d_mlp:
                shapes += self._norm(f"{block}.ln2")
                shapes += _dense_layers(d, [self.d_mlp], d, self.has_bias, names=(f"{block}.mlp.fc_in", f"{block}.mlp.fc_out"))
        if self.layer_norm == "pre":
            shapes += self._norm("ln_final")
        return shapes + ([] if self.tied else [("unembed.weight", [sizes["output_dim"], d])])

    def example_macs(self, sizes: Mapping[str, int]) -> int:
        """Multiply-adds per example (for the cost estimate): every block at every position but
        the last block, whose queries, output, MLP and the unembedding run at the readout only."""
        d, qkv, n = self.d_model, self.heads * self.d_head, len(self.positions(sizes["arity"]))
        mlp = 2 * d * self.d_mlp
        full_block = n * (4 * d * qkv + mlp) + 2 * n * n * qkv  # projections, MLP, scores and mixing
        last_block = 2 * n * d * qkv + 2 * d * qkv + mlp + 2 * n * qkv
        return (self.layers - 1) * full_block + last_block + d * sizes["output_dim"]

    def bias_layers(self, sizes: Mapping[str, int]) -> list[str]:
        """The MLPs' layers (attention and unembedding have no biases, as Nanda's model)."""
        return [layer for layer in super().bias_layers(sizes) if ".mlp." in layer]

    def _norm(self, name: str) -> Shapes:
        return [(f"{name}.weight", [self.d_model]), (f"{name}.bias", [self.d_model])] if self.layer_norm != "none" else []

    def task_misfit(self, task: Any) -> tuple[str, str] | None:
        if not task.token_inputs:
            return (f"a transformer reads token sequences, but a {task.kind} task has real-valued inputs",
                    "use model mlp or deep_linear for this task")
        sizes = task.sizes()
        if self.tied and sizes["output_dim"] != sizes["vocab"]:
            return (f"tied: true reads the answer out through the embedding's rows of the token values, but the "
                    f"{task.kind} task has {sizes['output_dim']} classes over {sizes['vocab']} token values",
                    "set tied: false (a head of its own) for this task")
        return None

    def describe(self, task: Any, sizes: Mapping[str, int]) -> str:
        mlp = f"an MLP {self.d_model} -> {self.d_mlp} ({self.activation}) -> {self.d_model}" if self.d_mlp else "no MLP"
        norm = {"none": "no LayerNorm", "pre": "pre-LayerNorm", "post": "post-LayerNorm"}[self.layer_norm]
        head = "the embedding's answer rows (tied)" if self.tied else "a head of its own"
        return (f"a {self.layers}-layer decoder transformer over the sequence `{' '.join(self.positions(sizes['arity']))}` "
                f"({sizes['vocab'] + len(self.extra_tokens)} tokens, learned positions): d_model {self.d_model}, "
                f"{self.heads} heads of {self.d_head} ({self.attention} attention{', with biases' if self.attention_bias else ''}), "
                f"{mlp} per block, {norm}; "
                f"read out at the last position through {head} to {sizes['output_dim']} classes. "
                f"Init scale {format_number(self.init_scale)}.")

    def summary(self) -> str:
        return f"transformer {self.layers}L d{self.d_model} {self.heads}x{self.d_head} mlp {self.d_mlp}"

    def ablation_axes(self) -> list[Axis]:
        return [Axis("layers", [n for n in (self.layers - 1, self.layers + 1) if n >= 1], "one block fewer and more"),
                Axis("d_mlp", [0] if self.d_mlp else [4 * self.d_model], "attention-only or with an MLP"),
                Axis("layer_norm", [n for n in ("none", "pre") if n != self.layer_norm], "switched")]


def _dense_layers(first: int, hidden: list[int], out: int, bias: Callable[[str], bool],
                  names: tuple[str, ...] = ()) -> Shapes:
    """`hidden.{i}.weight/.bias`, then `head.weight/.bias` (a bias where `bias(layer)`), weights
    (out, in); `names`, when given, names the layers instead."""
    dims = [first] + list(hidden) + [out]
    shapes: Shapes = []
    for i in range(len(dims) - 1):
        name = names[i] if names else "head" if i == len(dims) - 2 else f"hidden.{i}"
        shapes.append((f"{name}.weight", [dims[i + 1], dims[i]]))
        if bias(name):
            shapes.append((f"{name}.bias", [dims[i + 1]]))
    return shapes


def _biases(on: bool) -> str:
    return "with biases" if on else "without biases"


def _hidden_axis(hidden: list[int]) -> Axis:
    """The last hidden layer dropped or repeated, all widths halved or doubled."""
    shapes = [hidden[:-1]] if len(hidden) > 1 else []
    shapes += [hidden + hidden[-1:], [max(1, w // 2) for w in hidden], [w * 2 for w in hidden]]
    return Axis("hidden", shapes, "depth stepped, widths halved and doubled")


ModelSpec = MODELS.union()
