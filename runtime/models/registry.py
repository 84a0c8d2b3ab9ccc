"""`MODELS`, the builder of each IR model kind, and `build_model`, which every caller uses.

A builder takes the IR's model config, the dataset (its sizes), a seeded CPU generator and
the dtype, and returns a module that follows `Model`. A kind registers its builder with the
module class it builds (`@MODELS.register("mlp", Network)`): the class must have
`forward_stacked`, the forward the one training step runs (runtime/stacked.py), or the kind
is refused when it registers.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from clockspec.core.registry import Registry
from clockspec.runtime.models.protocol import Model, conform
from clockspec.runtime.parametrization import parametrize
from clockspec.runtime.tasks import Dataset

Builder = Callable[[Any, Dataset, torch.Generator, torch.dtype], Model]


class ModelBuilders(Registry[Builder]):
    """Model builders, each registered with the class of module it builds."""

    def register(self, name: str, module: type | None = None) -> Callable[[Builder], Builder]:  # type: ignore[override]
        def add(builder: Builder) -> Builder:
            if not callable(getattr(module, "forward_stacked", None)):
                what = module.__name__ if module is not None else "its module (no class was given)"
                raise TypeError(f"runtime model {name!r}: {what} has no forward_stacked: every model kind trains on the "
                                "stacked step, so it must give the forward over stacked members (see docs/extending.md)")
            return self.add(name, builder)

        return add


MODELS = ModelBuilders("runtime model")


def build_model(model: Any, data: Dataset, seed: int, dtype: torch.dtype) -> Model:
    """The kind's module, initialised from `seed`, with its parametrization applied."""
    generator = torch.Generator().manual_seed(seed)
    net = conform(MODELS[model.kind](model, data, generator, dtype), model.kind)
    return parametrize(model, net, generator)
