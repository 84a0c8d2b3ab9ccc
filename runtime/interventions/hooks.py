"""The seam between the stacked step and the interventions: hooks around each update.

An intervention kind registers a `Hook` class in `INTERVENTIONS` (a class without `build`,
`after_backward` or `after_update` is refused when it registers). `build(cfg, models)` sees
each member's network as built (its initial weights); the step then calls the hooks with the
stack (`Stack`: the stacked parameters and the member of each row), and a hook acts on each
member's slices as tensors of their own, so that a member's step does not depend on the
stack it trains in.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import torch

from clockspec.core.registry import Registry
from clockspec.runtime.parametrization import network

INTERVENTIONS = Registry("runtime intervention", required=("build", "after_backward", "after_update"))


class Stack(Protocol):
    params: Mapping[str, torch.Tensor]
    """The stacked parameters (K, ...) by the network's names, with their gradients."""
    rows: list[int]
    """The member of each row of the stack."""


class Hook:
    """What an intervention does to a step; both default to nothing."""

    @classmethod
    def build(cls, cfg: Any, models: Sequence[Any]) -> Hook:
        """The hook for these members (`models[k]`: member k's model as built)."""
        raise NotImplementedError

    def after_backward(self, stack: Stack) -> None:
        """The gradient of the step is computed and not yet applied."""

    def after_update(self, stack: Stack) -> None:
        """The step's update has been applied."""


class Hooks:
    """The spec's interventions, in the IR's field order, called as one."""

    def __init__(self, hooks: list[Hook]):
        self.hooks = hooks

    def after_backward(self, stack: Stack) -> None:
        for hook in self.hooks:
            hook.after_backward(stack)

    def after_update(self, stack: Stack) -> None:
        for hook in self.hooks:
            hook.after_update(stack)


def build_interventions(interventions: Any, models: Sequence[Any]) -> Hooks:
    """The interventions that are on (none when the spec has no `interventions`)."""
    if interventions is None:
        return Hooks([])
    return Hooks([INTERVENTIONS[name].build(cfg, models) for name, cfg in interventions if cfg is not None])


def names_of(model: Any, params: Sequence[torch.Tensor]) -> list[str]:
    """The network's names of these parameters of `model`, in their order."""
    named = {id(p): name for name, p in network(model).named_parameters()}
    return [named[id(p)] for p in params]
