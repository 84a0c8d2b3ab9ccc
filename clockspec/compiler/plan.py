"""The Plan: an experiment compiled into content-hashed pipeline stages.

Nodes hold their part of the spec and a hash over that part plus their inputs' hashes
(`clockspec.compiler.hashing`); the networkx graph holds only node ids, beside the typed nodes (as
dbt keeps its manifest beside its graph) and is built on first use, so compiling stays fast
and networkx stays out of commands that never draw. Which spec fields each stage reads is
the table in docs/compiler.md; `STAGES` below is that table in code.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from clockspec.compiler import batching
from clockspec.compiler import facts as derived
from clockspec.compiler.hashing import node_hash
from clockspec.compiler.node_id import NodeId
from clockspec.compiler.passes import recorded_metrics, run_passes
from clockspec.compiler.schedule import probe_steps as _probe_steps
from clockspec.core.errors import SpecError
from clockspec.ir import plugins
from clockspec.ir.metrics import METRICS
from clockspec.ir.spec import Experiment, Probes, install_compiler
from clockspec.syntax.source import PathT, RawDoc

PLAN_FORMAT = 1
# Which stages read each part of the spec (their hashes change when it does; downstream
# nodes follow through their inputs). docs/compiler.md prints this table with the reasons;
# a test keeps the two equal and checks that every IR field is listed here.
FIELD_STAGES: dict[str, tuple[str, ...]] = {
    "clockspec": (),
    "name": ("report",),
    "description": ("report",),
    "tags": ("report",),
    "seed": ("init",),
    "device": ("train",),
    "task": ("data", "split", "model"),
    "model": ("model", "init", "objective", "train", "probe"),
    "regularizers": ("objective",),
    "interventions": ("optimizer",),
    "optimizer": ("optimizer",),
    "train.steps": ("optimizer", "train"),
    "train.batch": ("train",),
    "train.loss": ("objective",),
    "train.loss_dtype": ("objective",),
    "train.dtype": ("train",),
    "train.compile": ("train",),
    "probes.schedule": ("train",),
    "probes.every": ("train",),
    "probes.points": ("train",),
    "probes.metrics": ("train", "probe"),
    "probes.cadence": ("train", "probe"),
    "probes.flip_band": ("train", "probe"),
    "probes.fourier_top_k": ("train", "probe"),
    "probes.schatten_q": ("train", "probe"),
    "probes.llc": ("train", "probe"),
    "clocks": ("clock", "train"),
    "stop.after": ("train",),
    "stop.patience": ("train",),
    "snapshots": ("train",),
    "plugins": (),
}


@dataclass(frozen=True)
class PlanNode:
    id: NodeId
    stage: str
    data: Mapping[str, Any]
    inputs: tuple[NodeId, ...]
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "stage": self.stage, "data": self.data, "inputs": list(self.inputs), "hash": self.hash}


class Plan:
    """A compiled experiment: typed, hashed nodes in topological order, and derived facts."""

    def __init__(self, spec: Experiment, nodes: dict[NodeId, PlanNode], derived: dict[str, Any],
                 metrics: tuple[str, ...], diagnostics: list | None = None):
        self.spec = spec
        self.nodes = nodes
        self.derived = derived
        self.metrics = metrics
        self.diagnostics = diagnostics or []  # warnings the passes found (errors raise)

    def hash(self, node_id: str) -> str:
        return self.nodes[node_id].hash

    @property
    def train_hash(self) -> str:
        return self.nodes[NodeId.of("train")].hash

    def probe_steps(self) -> list[int]:
        """Steps at which the run probes, step 0 and the final step included."""
        return _probe_steps(self.spec.probes, self.spec.train.steps)

    @cached_property
    def graph(self):
        import networkx as nx

        graph = nx.DiGraph()
        for node in self.nodes.values():
            graph.add_node(node.id, stage=node.stage, hash=node.hash)
            graph.add_edges_from((src, node.id) for src in node.inputs)
        return graph

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "name": self.spec.name,
            "train_hash": self.train_hash,
            "spec": self.spec.model_dump(mode="json"),
            "metrics": list(self.metrics),
            "derived": self.derived,
            "nodes": [n.to_json() for n in self.nodes.values()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> Plan:
        """A plan as written by `to_json`, hashes as recorded (not recomputed by this code)."""
        if isinstance(data, str):
            data = json.loads(data)
        if data.get("format") != PLAN_FORMAT:
            raise SpecError(f"plan format {data.get('format')!r} is not {PLAN_FORMAT}")
        spec = Experiment.model_validate(data["spec"])
        nodes = {NodeId(n["id"]): PlanNode(NodeId(n["id"]), n["stage"], n["data"], tuple(map(NodeId, n["inputs"])),
                                           n["hash"]) for n in data["nodes"]}
        return cls(spec, nodes, dict(data["derived"]), tuple(data["metrics"]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plan) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        return f"<Plan {self.spec.name} train={self.train_hash[:12]} nodes={len(self.nodes)}>"


def compile(spec: Experiment, *, memory_limit: int | None = None,
            source: tuple[RawDoc, PathT] | RawDoc | None = None) -> Plan:
    """Check an experiment with every compiler pass and build its hashed plan.

    Raises SpecError with every error found (positioned in the spec's source file when the
    spec came from `clockspec.load`, or from `source`); warnings stay in `Plan.diagnostics`.
    """
    if not isinstance(spec, Experiment):
        raise SpecError("compile takes an experiment; expand a family into experiments first (clockspec.expand)")
    if isinstance(source, RawDoc):
        source = (source, ())
    ctx, diagnostics = run_passes(spec, memory_limit, source)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise SpecError(errors)
    facts = _derived(spec, ctx)
    return Plan(spec, _nodes(spec, facts), facts, recorded_metrics(spec), diagnostics)


def _derived(spec: Experiment, ctx) -> dict[str, Any]:
    out: dict[str, Any] = dict(ctx.sizes)
    out.update(ctx.cost)
    out["batch_size"] = derived.batch_size(spec, ctx.sizes["n_train"])
    out["n_probes"] = ctx.n_probes
    out["param_shapes"] = [[name, shape] for name, shape in ctx.shapes]
    out["schatten_q"] = METRICS["schatten"].option_value(spec)
    out["induced_penalty"] = derived.induced_penalty(spec)
    out["execution"] = batching.execution(spec, out["flops_per_step"], out["param_shapes"])
    return out


def _dump(model: Any, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    data = model.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in data.items() if k not in drop}


def _nodes(spec: Experiment, facts: dict[str, Any]) -> dict[NodeId, PlanNode]:
    nodes: dict[NodeId, PlanNode] = {}

    def add(stage: str, data: dict[str, Any], inputs: tuple[NodeId, ...] = (), name: str | None = None) -> None:
        node_id = NodeId.of(stage, name)
        hashes = {src: nodes[src].hash for src in inputs}
        nodes[node_id] = PlanNode(node_id, stage, data, inputs, node_hash(stage, data, hashes))

    task = _dump(spec.task)
    split_keys = spec.task.split_fields  # they choose the train/test split; the rest define the data
    add("data", {**{k: v for k, v in task.items() if k not in split_keys}, **spec.task.content(),
                 **plugins.identity("task", spec.task.kind)})
    add("split", {k: task[k] for k in split_keys if k in task}, (NodeId.of("data"),))
    sizes = {k: facts[k] for k in spec.model.hashed_sizes}  # what the architecture is built from
    add("model", {**_dump(spec.model, ("init_scale",)), **sizes, **plugins.identity("model", spec.model.kind)})
    add("init", {"init_scale": spec.model.init_scale, "seed": spec.seed}, (NodeId.of("model"),))
    regs = {name: {**_dump(reg.resolved(spec.model)), **plugins.identity("regularizer", name)}
            for name, reg in spec.regularizers if reg is not None}
    loss_dtype = {"loss_dtype": spec.train.loss_dtype} if spec.train.loss_dtype else {}
    add("objective", {"loss": spec.train.loss, "regularizers": regs, **loss_dtype,
                      **plugins.identity("loss", spec.train.loss)})
    opt = {**_dump(spec.optimizer), **plugins.identity("optimizer", spec.optimizer.kind)}
    if spec.interventions is not None:  # they change each update, as the optimizer does
        opt["interventions"] = {name: _dump(kind) for name, kind in spec.interventions if kind is not None}
    if spec.optimizer.schedule == "cosine":
        opt["horizon"] = spec.train.steps  # the schedule decays over the whole run
    add("optimizer", opt)
    metrics = recorded_metrics(spec)
    options = _metric_options(spec, metrics)
    cadences = spec.probes.cadence or {}
    cadence = {"cadence": dict(sorted(cadences.items()))} if cadences else {}
    # a plugin's metrics are computed while training: their versions are in the train hash
    metric_plugins = {m: found["plugin"] for m in sorted(metrics) if (found := plugins.identity("metric", m))}
    add("train", {
        "steps": spec.train.steps,
        "batch": spec.train.batch,
        "dtype": spec.train.dtype,
        "device": spec.device,
        "probes": _schedule(spec),
        "metrics": sorted(metrics),
        "metric_options": options,
        "stop": _stop(spec),
        "execution": facts["execution"],
        # only when asked, so that every spec without snapshots keeps its hash
        **({"snapshots": spec.snapshots.model_dump(mode="json")} if spec.snapshots is not None else {}),
        **cadence,
        **({"metric_plugins": metric_plugins} if metric_plugins else {}),
    }, tuple(map(NodeId.of, ("split", "init", "objective", "optimizer"))))
    for m in metrics:
        every = {"every": cadences[m]} if m in cadences else {}
        add("probe", {"metric": m, **options.get(m, {}), **every, **plugins.identity("metric", m)},
            (NodeId.of("train"),), name=m)
    for name in _after_first(spec.clocks):
        clock = spec.clocks[name]
        inputs = (NodeId.probe(clock.metric),) + ((NodeId.clock(clock.after),) if clock.after else ())
        add("clock", {"clock": clock.text(), "kind": clock.kind}, inputs, name=name)
    report_inputs = tuple(n for n in nodes if n.stage in ("probe", "clock"))
    add("report", {"name": spec.name, "description": spec.description, "tags": list(spec.tags)}, report_inputs)
    return nodes


def _after_first(clocks: Mapping[str, Any]) -> list[str]:
    """Clock names, each after the clock it runs after: a node's inputs are hashed first,
    whatever order the spec lists its clocks in (the loader refuses `after` cycles)."""
    order: list[str] = []

    def visit(name: Any) -> None:
        if name in clocks and name not in order:
            visit(clocks[name].after)
            order.append(name)

    for name in clocks:
        visit(name)
    return order


def _schedule(spec: Experiment) -> dict[str, Any]:
    p = spec.probes
    return {"schedule": "every", "every": p.every} if p.schedule == "every" else {"schedule": "log", "points": p.points}


def _metric_options(spec: Experiment, metrics: tuple[str, ...]) -> dict[str, Any]:
    """{metric: {option: value}} for the recorded metrics whose values depend on a probe
    option (`Metric.option`, resolved as the run uses it), in the order of those options."""
    with_option = [METRICS[m] for m in metrics if METRICS[m].option]
    with_option.sort(key=lambda metric: list(Probes.model_fields).index(metric.option))
    return {metric.name: {metric.option: metric.option_value(spec)} for metric in with_option}


def _stop(spec: Experiment) -> dict[str, Any] | None:
    """The stop rule with the text of every clock it waits for (and their `after` chains)."""
    if not spec.stop.after:
        return None
    needed: list[str] = []
    todo = list(spec.stop.after)
    while todo:
        name = todo.pop()
        if name in needed or name not in spec.clocks:
            continue
        needed.append(name)
        if spec.clocks[name].after:
            todo.append(spec.clocks[name].after)
    return {"after": sorted(spec.stop.after), "patience": spec.stop.patience,
            "clocks": {n: spec.clocks[n].text() for n in sorted(needed)}}


install_compiler(compile)
