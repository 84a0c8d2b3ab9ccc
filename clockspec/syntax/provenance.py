"""Where a validated spec came from, so that later passes can point at file:line:col.

The IR stays free of source positions (two specs that mean the same thing must be equal,
however they were written), so the loader records each spec's RawDoc here, keyed by the
object's identity and forgotten when the spec is garbage-collected.
"""
from __future__ import annotations

import weakref
from typing import Any

from clockspec.syntax.source import PathT, RawDoc

_SOURCES: dict[int, tuple[RawDoc, PathT]] = {}


def remember_source(spec: Any, doc: RawDoc, prefix: PathT = ()) -> None:
    """Record that `spec` was read from `doc` (at `prefix`, for an inline family base)."""
    key = id(spec)
    if key not in _SOURCES:
        weakref.finalize(spec, _SOURCES.pop, key, None)
    _SOURCES[key] = (doc, tuple(prefix))


def source_of(spec: Any) -> tuple[RawDoc, PathT] | None:
    return _SOURCES.get(id(spec))
