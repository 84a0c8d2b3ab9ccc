"""The name of an experiment's run directory: `<name>-<first 12 hex digits of its train hash>`.

One function in the lowest layer, because every layer that names a run directory reads it:
the diff's impact, the family store, the runtime (and the compiler's explanation).
"""
from __future__ import annotations

TRAIN_HASH_DIGITS = 12


def run_dir_name(name: str, train_hash: str) -> str:
    """`quickstart-1a2b3c4d5e6f`: a run of spec `name` whose training has hash `train_hash`."""
    return f"{name}-{train_hash[:TRAIN_HASH_DIGITS]}"
