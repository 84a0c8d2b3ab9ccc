"""What a run leaves: the result object, the final clocks, clocks.json, the locked spec.

Torch-free, like `runner`, so that reusing or re-evaluating a finished run never imports torch.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clockspec.clocks import ClockResult
from clockspec.compiler.node_id import NodeId
from clockspec.compiler.plan import compile as compile_plan
from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.core.records import read_store_file
from clockspec.core.safepaths import UnsafePath, refuse_link
from clockspec.ir.metrics import METRICS
from clockspec.report.run_figure import plot_curves
from clockspec.store.objects import clock_key, record_of, write_view
from clockspec.store.rundir import CLOCKS, CURVES, PLAN, SPEC, RunDir
from clockspec.syntax.printing import dumps


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    status: str  # complete | diverged | interrupted
    step: int
    clocks: dict[str, ClockResult]
    action: str  # trained | resumed | extended | reused | reevaluated
    note: str = ""  # one sentence on what happened, for people
    elapsed_s: float = field(default=0.0, compare=False)
    view: Path | None = None  # the name's folder (`clockspec.store.objects`); run_dir is the object it shows


def for_device(plan: Any, device: str | None) -> Any:
    """The plan as run on `device` (a --device override): the device is part of the train
    hash, so a run on another device gets its own directory instead of reusing this one."""
    if device is None or device == plan.spec.device:
        return plan
    return compile_plan(plan.spec.model_copy(update={"device": device}))


def final_clocks(spec: Any, results: Mapping[str, ClockResult], status: str) -> dict[str, ClockResult]:
    """A run that did not complete has no final values: its clocks judged against the final
    value (settle, last, transition: `needs_final_value`), and the clocks that run after them,
    are censored; clocks that fired online before the end keep their step."""
    if status == "complete":
        return dict(results)

    def needs_final(name: str, seen: tuple[str, ...] = ()) -> bool:
        clock = spec.clocks[name]
        if clock.needs_final_value:
            return True
        return clock.after is not None and clock.after not in seen and needs_final(clock.after, seen + (name,))

    return {name: ClockResult(None, False, r.value, r.metric) if needs_final(name) else r
            for name, r in results.items()}


def clock_hashes(plan: Any) -> dict[str, str]:
    return {name: plan.hash(NodeId.clock(name)) for name in plan.spec.clocks}


def clocks_doc(plan: Any, clocks: Mapping[str, ClockResult], status: str, step: int) -> dict[str, Any]:
    spec = plan.spec
    doc: dict[str, Any] = {
        "clocks": {name: {**r.to_json(), "expr": spec.clocks[name].text()} for name, r in clocks.items()},
        "status": status,
        "step": step,
        "train_hash": plan.train_hash,
        "clock_hashes": clock_hashes(plan),
    }
    # Each recorded metric's probe option as written in the spec, in option-name order.
    wanted = sorted({METRICS[m].option for m in plan.metrics if METRICS[m].option})
    options = {opt: spec.probes.model_dump(mode="json")[opt] for opt in wanted}
    if options:
        doc["probe_options"] = options  # e.g. the flip band pattern_flips used
    return doc


def write_clocks(plan: Any, rd: RunDir, rows: Sequence[Mapping[str, Any]], clocks: Mapping[str, ClockResult],
                 status: str, step: int) -> None:
    """A run's clocks as they end: `clocks.json` and the figure drawn from its rows."""
    rd.write_json(CLOCKS, clocks_doc(plan, clocks, status, step))
    rd.write(CURVES, plot_curves(rows, plan.spec, clocks, status))


def spec_text(spec: Any) -> str:
    """spec.lock.yaml: every value spelled out, so the record does not lean on today's defaults."""
    return dumps(spec, "yaml", full=True)


def view_dir(view: Path) -> RunDir:
    """The name's folder to write into; a folder that is a symbolic link is refused (its
    writes would land in the link's target)."""
    try:
        refuse_link(view)
    except UnsafePath as exc:
        raise RunError(str(exc), str(view), hint="remove the link; clockspec follows none in its store",
                       exit_status=2) from None
    return RunDir(view)


def open_view(view: Path, plan: Any) -> None:
    """Point the name's folder at the object before it trains (the index shows it running)."""
    rd = view_dir(view)
    rd.write(SPEC, spec_text(plan.spec))
    rd.write_json(PLAN, plan.to_json())
    rd.remove(CLOCKS, CURVES)
    write_view(view, plan.train_hash, clock_key(clock_hashes(plan)))


def show(view: Path, plan: Any, obj: Path, result: RunResult) -> RunResult:
    """The name's folder showing what its spec asks for: its spec and plan, and the object's
    clock record of its clock set with that record's figure."""
    rd = view_dir(view)
    key = clock_key(clock_hashes(plan))
    record, figure = record_of(obj, key)
    rd.write(SPEC, spec_text(plan.spec))
    rd.write_json(PLAN, plan.to_json())
    recorded = read_json(record)
    if recorded is None:
        rd.remove(CLOCKS, CURVES)
    else:
        rd.write_json(CLOCKS, recorded)
        if figure.is_file():
            rd.write(CURVES, read_store_file(figure))
    write_view(view, plan.train_hash, key)
    return dataclasses.replace(result, view=view)
