"""The registered kinds of the IR: tasks, models, regularizers, optimizers, metrics, clocks.

Each family of kinds lives in one module; adding a kind is one registered class there
(plus its builder in `clockspec.runtime`). `Registry.union()` turns a family into the
discriminated union that the IR validates against, so a new kind needs no other edit.
"""
from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError


class Strict(BaseModel):
    """Base of every IR model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def field_error(field: str, message: str, hint: str | None = None) -> PydanticCustomError:
    """An error for a model validator to raise that points at one of its fields."""
    return PydanticCustomError("field_error", message, {"field": field, "hint": hint or ""})


class Registry:
    """Kinds of one family (task, model, ...), keyed by their `kind` literal."""

    def __init__(self, family: str):
        self.family = family
        self.kinds: dict[str, type[BaseModel]] = {}

    def register(self, cls: type[BaseModel]) -> type[BaseModel]:
        kind = cls.model_fields["kind"].annotation.__args__[0]
        if kind in self.kinds:
            raise ValueError(f"{self.family} kind {kind!r} registered twice")
        self.kinds[kind] = cls
        return cls

    def union(self) -> Any:
        members = tuple(self.kinds.values())
        if len(members) == 1:
            return members[0]
        return Annotated[Union[members], Field(discriminator="kind")]  # type: ignore[valid-type]

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds

    def names(self) -> list[str]:
        return list(self.kinds)
