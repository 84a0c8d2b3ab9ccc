"""The seam between the training loop and the interventions: hooks around each update."""
from __future__ import annotations

from typing import Any

from clockspec.core.registry import Registry

INTERVENTIONS = Registry("runtime intervention")


class Hook:
    """What an intervention does to a step; both default to nothing."""

    def after_backward(self) -> None:
        """The gradient of step t is computed and not yet applied."""

    def after_update(self) -> None:
        """Step t's update has been applied."""


class Hooks:
    """The spec's interventions, in the IR's field order, called as one."""

    def __init__(self, hooks: list[Hook]):
        self.hooks = hooks

    def after_backward(self) -> None:
        for hook in self.hooks:
            hook.after_backward()

    def after_update(self) -> None:
        for hook in self.hooks:
            hook.after_update()


def build_interventions(interventions: Any, model: Any) -> Hooks:
    """The interventions that are on (none when the spec has no `interventions`)."""
    if interventions is None:
        return Hooks([])
    return Hooks([INTERVENTIONS[name](cfg, model) for name, cfg in interventions if cfg is not None])
