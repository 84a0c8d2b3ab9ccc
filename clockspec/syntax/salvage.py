"""What can still be checked of an experiment whose fields failed: every error in one pass.

A metric the model cannot produce is found on a whole experiment (`ir.metrics.unmeasurable`);
if that waited for the other errors to be fixed, a newcomer would fix a spec in rounds.
So when fields fail, the experiment is validated again with each failed field left out (its
default, where it has one), and the metrics are checked on that (`syntax.validate`). A required part that
failed (the model's kind, the task) leaves nothing to check against: then nothing is said.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from clockspec.ir.spec import Experiment
from clockspec.syntax.source import PathT

TRIES = 3  # a field left out may uncover another error beneath it (a required field now missing)

Paths = Callable[[Iterable[dict], Any], list[PathT]]  # pydantic errors -> the failed paths in the data


def salvaged(data: dict, failed: Paths) -> Experiment | None:
    """The experiment `data` describes with the mappings' keys that fail left out; None when
    that does not validate (a failed list item, a required part, the top level)."""
    data = {**copy.deepcopy(data), "name": "salvaged"}  # a name is no fact of what can be measured
    for _ in range(TRIES):
        try:
            return Experiment.model_validate(data)
        except ValidationError as exc:
            for path in failed(exc.errors(), data):
                keys = _mapping_keys(data, path)
                if not keys:
                    return None
                _leave_out(data, keys)
    return None


def _mapping_keys(data: Any, path: PathT) -> tuple:
    """The longest head of `path` that goes through mappings only (a list item left out
    would move its neighbours' positions)."""
    keys: list = []
    node = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            break
        keys.append(part)
        node = node[part]
    return tuple(keys)


def _leave_out(data: dict, keys: tuple) -> None:
    node = data
    for part in keys[:-1]:
        node = node[part]
    node.pop(keys[-1], None)
