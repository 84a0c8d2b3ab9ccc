"""Specs the compiler tests share: plain data, edited per test, validated through the YAML path."""
from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

import clockspec

GROKKING = {
    "clockspec": 1,
    "name": "modadd-relu",
    "seed": 0,
    "task": {"kind": "modular", "op": "add", "modulus": 97, "train_fraction": 0.3},
    "model": {"kind": "embed_mlp", "embed_dim": 128, "hidden": [256], "activation": "relu"},
    "regularizers": {"weight_decay": {"strength": 1.0}},
    "optimizer": {"kind": "adamw", "lr": 1.0e-3, "betas": [0.9, 0.98]},
    "train": {"steps": 30000, "batch": "full"},
    "probes": {"every": 50},
    "clocks": {
        "fit": "first train_loss <= 1e-2",
        "generalize": "first test_acc >= 0.99",
        "simplify": "settle weight_norm within 1%",
    },
    "stop": {"after": ["generalize"], "patience": 1000},
}

DEEP_LINEAR = {
    "name": "deep-linear-teacher",
    "task": {"kind": "teacher", "inputs": 16, "classes": 4, "rank": 2},
    "model": {"kind": "deep_linear", "depth": 3, "width": 32},
    "regularizers": {"weight_decay": {"strength": 0.01}},
    "optimizer": {"kind": "sgd", "lr": 0.05},
    "train": {"steps": 2000},
    "probes": {"every": 20, "metrics": ["schatten", "balance"]},
    "clocks": {"fit": "settle train_loss within 1%", "simplify": "settle schatten within 1%"},
}


@pytest.fixture
def grokking() -> dict:
    return copy.deepcopy(GROKKING)


@pytest.fixture
def deep_linear() -> dict:
    return copy.deepcopy(DEEP_LINEAR)


def edited(base: dict, path: str, value: Any) -> dict:
    """A copy of `base` with the dotted `path` set to `value` (None removes it)."""
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return data


def load_data(data: dict, file: str = "<test>") -> clockspec.Experiment:
    return clockspec.loads(yaml.safe_dump(data, sort_keys=False), file=file)


def hashes(data: dict) -> dict[str, str]:
    plan = clockspec.compile(load_data(data))
    return {node_id: node.hash for node_id, node in plan.nodes.items()}


@pytest.fixture
def spec_tools():
    """edited(data, path, value), load_data(data), hashes(data) for the tests of this folder."""
    return SimpleNamespace(edited=edited, load_data=load_data, hashes=hashes)
