"""The registered kinds of the IR: tasks, models, regularizers, optimizers, metrics, clocks.

Each family of kinds lives in one module; adding a kind is one registered class there
(plus its builder in `clockspec.runtime`), carrying every fact the compiler, explain,
ablate and the figures ask of it. `KindRegistry.union()` turns a family into the
discriminated union that the IR validates against, so a new kind needs no other edit.
"""
from __future__ import annotations

import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, NamedTuple, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from clockspec.core.numbers import format_float
from clockspec.core.registry import Registry


class Strict(BaseModel):
    """Base of every IR model: immutable, and unknown keys are errors.

    Scalars are strict: a quoted `"5"` is text, not a number, and `true` is not 1 (a spec
    says what it means; pydantic's lax coercions would guess). Numbers are finite: no
    field means infinity or NaN. A whole number written as a float (`steps: 1e4`) is
    still a whole number.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _whole_floats(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        whole = _whole_fields(cls)
        if not any(k in whole for k in data):
            return data
        return {k: _whole(v) if k in whole else v for k, v in data.items()}


@cache
def _whole_fields(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, f in cls.model_fields.items() if _wants_whole(f.annotation))


def _whole(value: Any) -> Any:
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**63 else value


@cache
def _wants_whole(tp: Any) -> bool:
    """Whether a field holds whole numbers (or lists of them) and never a float."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _wants_whole(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType, list):
        args = typing.get_args(tp)
        return any(_wants_whole(a) for a in args) and not any(_holds_float(a) for a in args)
    return tp is int


def _holds_float(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (Annotated, Union, types.UnionType, list):
        args = typing.get_args(tp)[:1] if origin is Annotated else typing.get_args(tp)
        return any(_holds_float(a) for a in args)
    return tp is float or tp is Any


class Axis(NamedTuple):
    """One axis of an ablation, as a kind proposes it: the field, its values, how they were
    chosen (the ablation prints `base <current value>; <how>`)."""

    field: str
    values: list[Any]
    how: str


def field_error(field: str, message: str, hint: str | None = None) -> PydanticCustomError:
    """An error for a model validator to raise that points at one of its fields."""
    return PydanticCustomError("field_error", message, {"field": field, "hint": hint or ""})


class KindRegistry(Registry[type[BaseModel]]):
    """The IR classes of one family of kinds, keyed by their `kind` literal.

    `required` names the facts (methods, properties, class variables) that the compiler,
    explain, ablate and the figures ask of every kind; `fields` the spec fields they read of
    every kind (a model's `init_scale`). A kind without one is refused at registration.
    """

    def __init__(self, family: str, required: tuple[str, ...] = (), fields: tuple[str, ...] = ()):
        super().__init__(family, required)
        self.fields = fields

    def register(self, cls: type[BaseModel]) -> type[BaseModel]:  # type: ignore[override]
        """Class decorator: the kind's name is its `kind` field's literal."""
        return self.add(cls.model_fields["kind"].annotation.__args__[0], cls)

    def add(self, name: str, entry: type[BaseModel]) -> type[BaseModel]:
        missing = [f for f in self.fields if f not in entry.model_fields]
        if missing:
            raise TypeError(f"{self.family} {name!r} has no field {', '.join(missing)}: "
                            f"every {self.family} must (see docs/extending.md)")
        return super().add(name, entry)

    @property
    def kinds(self) -> dict[str, type[BaseModel]]:
        return dict(self.items())

    def names_where(self, fact: Callable[[type[BaseModel]], bool]) -> list[str]:
        """The kinds whose class has a fact, e.g. the models that embed tokens (for messages)."""
        return [name for name, cls in self.items() if fact(cls)]

    def members(self) -> Any:
        """The union of the kinds' classes (the class itself when there is one)."""
        members = tuple(self.values())
        return members[0] if len(members) == 1 else Union[members]  # type: ignore[valid-type]

    def union(self) -> Any:
        """The discriminated union the IR validates this family against."""
        members = self.members()
        return members if len(self) == 1 else Annotated[members, Field(discriminator="kind")]


def false_as_absent(data: Any, key: str) -> Any:
    """A spec's mapping with `key: false` left out, for a switch whose absence already means
    off: one spelling, so one hash (the switch was added without changing older hashes)."""
    if isinstance(data, dict) and data.get(key) is False:
        return {k: v for k, v in data.items() if k != key}
    return data


def format_number(x: float) -> str:
    """Shortest text that reads back as exactly x (`1e-3` style where that is shorter)."""
    return format_float(x, integral_as_int=True)
