"""Content hashes of plan nodes: what run directories, caches and diff impact key on.

A node's hash is SHA-256 over the canonical JSON of (stage, the stage's code version, the
node's part of the spec, its inputs' hashes). Canonical JSON: sorted keys, no whitespace,
tuples as lists, floats by `repr`, so the hash is the same in every
process, on every machine, whatever the key order or syntax the spec was written in.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# One version per stage: bump a stage's number when the code that interprets that part of
# the spec changes meaning; every result computed by the old code is then invalidated
# (the node and everything downstream of it get new hashes).
STAGE_VERSIONS: dict[str, int] = {
    "data": 1,
    "split": 1,
    "model": 1,
    "init": 1,
    "objective": 2,  # 2: `mse` is torch's mean over all entries (was 1/2 sum over classes, now mse_half_sum)
    "optimizer": 1,
    "train": 2,  # 2: the stacked step, projection gathers, fused optimizers (issue 16)
    "probe": 1,
    "clock": 1,
    "report": 1,
}


def canonical_json(value: Any) -> str:
    """One spelling per value: `json` writes tuples as lists and floats by repr already
    (NaN and infinities as NaN/Infinity, deterministic too); keys are sorted."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def node_hash(stage: str, part: Mapping[str, Any], inputs: Mapping[str, str]) -> str:
    payload = {"stage": stage, "version": STAGE_VERSIONS[stage], "part": part, "inputs": inputs}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
