"""What a spec change invalidates: plan nodes whose content hash changed, by what it costs.

Both experiments are compiled and their node hashes compared. A node that changed goes to
"retrain" when it is part of producing the recorded metrics (data, split, model, init,
objective, optimizer, train, probes), to "re-evaluate" when it is computed from the
recorded metrics (clocks, report), and to "cosmetic" when only the report's own words
(name, description, tags) changed. A node is `direct` when its own part of the spec
changed, and downstream when only an input's hash did.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from clockspec.compiler.node_id import NodeId
from clockspec.compiler.plan import Plan, compile
from clockspec.core.run_names import run_dir_name
from clockspec.diff.changes import Change
from clockspec.ir.spec import Experiment

RETRAIN_STAGES = ("data", "split", "model", "init", "objective", "optimizer", "train", "probe")
Verdict = Literal["retrain", "re-evaluate", "cosmetic", "none"]


@dataclass(frozen=True)
class NodeChange:
    id: NodeId
    stage: str
    how: Literal["changed", "added", "removed"]
    direct: bool  # its own part of the spec changed (else only an input's hash did)

    @property
    def label(self) -> str:
        """`clock fit`, `probe schatten`, `train`: how a reviewer names the node."""
        return self.id.label

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "stage": self.stage, "how": self.how, "direct": self.direct}


@dataclass
class Impact:
    retrain: list[NodeChange] = field(default_factory=list)
    reevaluate: list[NodeChange] = field(default_factory=list)
    cosmetic: list[NodeChange] = field(default_factory=list)
    no_effect: list[str] = field(default_factory=list)  # changed paths that touch no node
    train_hash: tuple[str, str] = ("", "")  # old, new: what run directories key on
    run_dirs: tuple[str, str] = ("", "")  # old, new: `<name>-<train_hash[:12]>` under runs/

    @property
    def nodes(self) -> list[NodeChange]:
        return self.retrain + self.reevaluate + self.cosmetic

    @property
    def verdict(self) -> Verdict:
        """The costliest consequence: what a reviewer must rerun."""
        if self.retrain:
            return "retrain"
        if self.reevaluate:
            return "re-evaluate"
        return "cosmetic" if self.cosmetic else "none"

    def inverse(self) -> Impact:
        def flip(nodes: list[NodeChange]) -> list[NodeChange]:
            swap = {"added": "removed", "removed": "added", "changed": "changed"}
            return [NodeChange(n.id, n.stage, swap[n.how], n.direct) for n in nodes]  # type: ignore[arg-type]

        return Impact(flip(self.retrain), flip(self.reevaluate), flip(self.cosmetic),
                      list(self.no_effect), self.train_hash[::-1], self.run_dirs[::-1])

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "retrain": [n.to_json() for n in self.retrain],
            "reevaluate": [n.to_json() for n in self.reevaluate],
            "cosmetic": [n.to_json() for n in self.cosmetic],
            "no_effect": list(self.no_effect),
            "train_hash": {"old": self.train_hash[0], "new": self.train_hash[1]},
            "run_dir": {"old": self.run_dirs[0], "new": self.run_dirs[1]},
        }


def plan_impact(a: Experiment, b: Experiment, changes: list[Change]) -> Impact:
    """Compile both experiments and sort every node whose hash differs by its cost."""
    return compare_plans(compile(a), compile(b), changes)


def compare_plans(old: Plan, new: Plan, changes: list[Change]) -> Impact:
    impact = Impact(train_hash=(old.train_hash, new.train_hash),
                    run_dirs=(run_dir_name(old.spec.name, old.train_hash),
                              run_dir_name(new.spec.name, new.train_hash)))
    order = list(old.nodes) + [n for n in new.nodes if n not in old.nodes]
    for node_id in order:
        was, now = old.nodes.get(node_id), new.nodes.get(node_id)
        if was is not None and now is not None and was.hash == now.hash:
            continue
        node = now or was
        assert node is not None
        if was is None or now is None:
            change = NodeChange(node_id, node.stage, "added" if was is None else "removed", True)
        else:
            change = NodeChange(node_id, node.stage, "changed", _json(was.data) != _json(now.data))
        _sort(impact, change, old, new)
    if not impact.nodes:
        impact.no_effect = [c.dotted for c in changes if c.path[:1] != ("clockspec",)]
    return impact


def _sort(impact: Impact, change: NodeChange, old: Plan, new: Plan) -> None:
    if change.stage in RETRAIN_STAGES:
        impact.retrain.append(change)
    elif change.stage == "report" and change.how == "changed" and _same_inputs(old, new, change.id):
        impact.cosmetic.append(change)  # only its own words changed: name, description, tags
    else:
        impact.reevaluate.append(change)


def _same_inputs(old: Plan, new: Plan, node_id: NodeId) -> bool:
    was, now = old.nodes[node_id], new.nodes[node_id]
    return was.inputs == now.inputs and all(old.hash(i) == new.hash(i) for i in was.inputs)


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str)
