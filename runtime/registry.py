"""One registry per family of kinds, keyed by the IR's kind names.

The IR side (`clockspec.ir`) declares what a kind's fields mean; the runtime side registers,
under the same name, the function or class that builds its torch object. A test checks that
every IR kind has its builder, so a new kind is one class there and one builder here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from clockspec.core.errors import SpecError, did_you_mean


class Builders(Mapping[str, Callable[..., Any]]):
    def __init__(self, family: str):
        self.family = family
        self._builders: dict[str, Callable[..., Any]] = {}

    def register(self, kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def add(builder: Callable[..., Any]) -> Callable[..., Any]:
            if kind in self._builders:
                raise ValueError(f"{self.family} builder {kind!r} registered twice")
            self._builders[kind] = builder
            return builder

        return add

    def __getitem__(self, kind: str) -> Callable[..., Any]:
        try:
            return self._builders[kind]
        except KeyError:
            raise SpecError(
                f"the runtime has no {self.family} '{kind}'"
                + (f"; {did_you_mean(kind, self._builders)}" if did_you_mean(kind, self._builders) else "")
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)
