"""Parametrization: how a model's parameters start, how fast each layer learns, and how
its output is scaled. Shared by every model kind (`Parametrized`).

The knobs the grokking literature turns: an init law per layer (Lyu et al. 2024: He init
times alpha), an output multiplier alpha, optionally centred at initialisation
(f = alpha (net - net_0), Kumar et al. 2024, Chizat et al. 2019), per-layer learning-rate
multipliers (Liu et al. 2022; with alpha, Gromov's mean-field scaling) and a bias on or off
per layer. A layer is addressed by its name in the model's parameter layout with the last
part dropped (`hidden.0`, `head`, `embed`, `blocks.0.attn.query`); a key also addresses
every layer below it (`blocks.0.attn` is the four attention projections, `blocks` every
block). The most specific key wins. Weight decay's targets are the regularizer's
(`regularizers.weight_decay.applies_to`); each parameter's role is `param_roles`.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from clockspec.ir.base import Strict, field_error, format_number

InitLaw = Literal["default", "uniform", "normal", "he", "xavier", "zero"]
Role = Literal["weights", "biases", "embeddings", "norms"]
ROLES: tuple[Role, ...] = ("weights", "biases", "embeddings", "norms")
LayerKey = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$", max_length=200)]


class Init(Strict):
    """An init law: `default` (the kind's own), `uniform` U(+-1/sqrt(fan_in)), `normal` N(0, std^2),
    `he` N(0, 2/fan_in), `xavier` N(0, 2/(fan_in + fan_out)), `zero`; then times `scale`."""

    law: InitLaw = "default"
    """The law; fans as torch computes them (a 2-D tensor's second dimension is fan_in)."""
    std: Optional[float] = Field(None, gt=0.0)
    """Standard deviation of the `normal` law (required there, refused elsewhere)."""
    scale: float = Field(1.0, ge=0.0)
    """Multiplies the drawn values."""

    @model_validator(mode="after")
    def _std_for_normal(self) -> Init:
        if self.law == "normal" and self.std is None:
            raise field_error("std", "the normal law needs its std", "e.g. init: {law: normal, std: 0.02}")
        if self.law != "normal" and self.std is not None:
            raise field_error("std", f"std belongs to the normal law, not to {self.law}")
        return self

    def words(self) -> str:
        law = f"normal(std {format_number(self.std)})" if self.law == "normal" else self.law
        return law + (f" x {format_number(self.scale)}" if self.scale != 1.0 else "")


class LayerSettings(Strict):
    """What one layer (and the layers below its name) does differently."""

    init: Optional[Init] = None
    """Its init law, instead of the parametrization's."""
    lr: Optional[float] = Field(None, ge=0.0)
    """Multiplies the learning rate of its parameters (0 freezes them; absent: 1)."""
    bias: Optional[bool] = None
    """Whether it has a bias, instead of the model's `bias`."""


class Parametrization(Strict):
    """Init laws, output multiplier and per-layer settings of a model."""

    init: Init = Field(default_factory=Init)
    """The init law of every layer a `layers` entry does not set."""
    layers: dict[LayerKey, LayerSettings] = Field(default_factory=dict)
    """Layer name (or a prefix of names) -> its settings."""
    output_scale: float = Field(1.0, gt=0.0)
    """alpha: the logits are alpha * net(x)."""
    centered: bool = False
    """Subtract the network at initialisation: f = alpha * (net(x) - net_0(x)), zero at step 0."""

    def setting(self, layer: str, field: str) -> object:
        """The most specific `layers` entry's value of `field` for `layer` (None: not set)."""
        keys = sorted((k for k in self.layers if addresses(k, layer)), key=len, reverse=True)
        values = [getattr(self.layers[k], field) for k in keys]
        return next((v for v in values if v is not None), None)

    def describe(self) -> str:
        parts = [f"init {self.init.words()}"]
        if self.output_scale != 1.0 or self.centered:
            parts.append(f"output x {format_number(self.output_scale)}" + (", centred at init" if self.centered else ""))
        for key, s in self.layers.items():
            bits = [f"init {s.init.words()}"] if s.init else []
            bits += [f"lr x {format_number(s.lr)}"] if s.lr is not None else []
            bits += [f"bias {'on' if s.bias else 'off'}"] if s.bias is not None else []
            parts.append(f"{key}: {', '.join(bits) or 'as the rest'}")
        return "Parametrization: " + "; ".join(parts) + "."


def addresses(key: str, layer: str) -> bool:
    """Whether a `layers` key names this layer or a group above it."""
    return layer == key or layer.startswith(key + ".")


def layer_of(param: str) -> str:
    return param.rsplit(".", 1)[0]


def param_roles(shapes: Iterable[tuple[str, list[int]]], lookup_tables: Iterable[str]) -> dict[str, Role]:
    """Each parameter's role: a lookup table is `embeddings`; the `.weight` and `.bias` of a
    layer whose weight is a vector (a LayerNorm) are `norms`; other matrices `weights`, other
    vectors `biases`."""
    shapes = list(shapes)
    lookups = set(lookup_tables)
    vector_layers = {layer_of(n) for n, s in shapes if n.endswith(".weight") and len(s) == 1}
    roles: dict[str, Role] = {}
    for name, shape in shapes:
        if name in lookups:
            roles[name] = "embeddings"
        elif layer_of(name) in vector_layers:
            roles[name] = "norms"
        else:
            roles[name] = "weights" if len(shape) >= 2 else "biases"
    return roles


class Parametrized(Strict):
    """A model kind with a `parametrization` (absent: the kind's defaults)."""

    parametrization: Optional[Parametrization] = None
    """Init laws, output multiplier alpha, per-layer lr and bias (see docs/parametrization.md)."""


    def has_bias(self, layer: str) -> bool:
        """The layer's bias: its `layers` setting, else the model's `bias`."""
        setting = self.parametrization.setting(layer, "bias") if self.parametrization else None
        return bool(getattr(self, "bias", False)) if setting is None else bool(setting)

    def bias_layers(self, sizes: Mapping[str, int]) -> list[str]:
        """The layers a `bias` setting may switch: the dense matrices (not lookup tables)."""
        return [layer_of(n) for n, s in self.param_shapes(sizes)
                if n.endswith(".weight") and len(s) == 2 and n not in self.lookup_tables]

    def layer_misfits(self, sizes: Mapping[str, int]) -> Iterator[tuple[str, str]]:
        """(key, message) for each `layers` key that addresses no layer, or sets a bias where none can be."""
        if self.parametrization is None:
            return
        layers = list(dict.fromkeys(layer_of(n) for n, _ in self.param_shapes(sizes)))
        may_bias = set(self.bias_layers(sizes))
        for key, settings in self.parametrization.layers.items():
            hit = [layer for layer in layers if addresses(key, layer)]
            if not hit:
                yield key, f"no layer '{key}' in this {self.kind}; its layers are {', '.join(layers)}"
            elif settings.bias is not None and not may_bias & set(hit):
                yield key, (f"'{key}' cannot have a bias in a {self.kind}; the layers that can are "
                            f"{', '.join(sorted(may_bias)) or 'none'}")
