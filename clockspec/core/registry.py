"""One registry mechanism for every family of kinds, on both sides of the torch line.

The IR registers its kind classes (tasks, models, metrics, clocks, ...) and the runtime its
builders, each in a `Registry` of its own, under the IR's kind names. A registry can demand
facts of what it holds (`required`): a kind that does not provide one is refused when it is
registered, never discovered later in another kind's branch.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from clockspec.core.errors import SpecError, did_you_mean

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """Entries of one family of kinds (`family`: "task", "model builder", ...) by kind name."""

    def __init__(self, family: str, required: tuple[str, ...] = ()):
        self.family = family
        self.required = required
        self._entries: dict[str, T] = {}
        self.refused: dict[str, str] = {}  # name -> why a plugin's kind of that name was refused

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.family} {name!r} registered twice")
        missing = [fact for fact in self.required if not hasattr(entry, fact)]
        if missing:
            raise TypeError(f"{self.family} {name!r} does not provide {', '.join(missing)}: "
                            f"every {self.family} must (see docs/extending.md)")
        self._entries[name] = entry
        return entry

    def refuse(self, name: str, reason: str) -> None:
        """Record that a plugin's kind `name` was refused, so a spec naming it is told why."""
        self.refused[name] = reason

    def remove(self, name: str) -> None:
        """Take an entry out again (a test's scratch kind, a refused plugin's); for an IR kind,
        `clockspec.ir.spec.refresh_kinds` then rebuilds the validators that held it."""
        del self._entries[name]

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: `@REGISTRY.register("name")`."""
        return lambda entry: self.add(name, entry)

    def __getitem__(self, name: str) -> T:
        """The entry; a SpecError naming the near names for an unknown one."""
        try:
            return self._entries[name]
        except KeyError:
            if name in self.refused:
                raise SpecError(f"{self.family} '{name}' is refused: {self.refused[name]}") from None
            hint = did_you_mean(name, self._entries)
            raise SpecError(f"there is no {self.family} '{name}'" + (f"; {hint}" if hint else "")) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str, default: T | None = None) -> T | None:  # type: ignore[override]
        return self._entries.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

