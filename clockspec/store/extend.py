"""Extending a stored run: a spec that differs from a finished one only in a larger
`train.steps` continues from that run's final state instead of training from step 0.

That is the same numerical program only when nothing in it depends on the total number of
steps (`clockspec.compiler.extension.why_not`: a cosine schedule does, log-spaced probes
do) and both run the same step (not one compiled and one eager: `base_for` checks). A run that may be extended keeps its state at its last
step, `final.pt` (the resume checkpoint `runtime` writes at that step), beside its object;
the longer run is a new object, prepared as an interrupted run at that step (its rows
before that step, that checkpoint) and resumed, which the resume tests hold bit-identical
to a run never interrupted.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clockspec.compiler.extension import why_not
from clockspec.core.fileio import read_json, write_atomic
from clockspec.core.records import read_store_file
from clockspec.core.safepaths import is_real_dir
from clockspec.store.objects import OBJECTS
from clockspec.store.rundir import CHECKPOINT, EXTENDS, FINAL, METRICS, STATUS, RunDir, row_line


def base_for(store: Path, plan: Any) -> tuple[Path, int] | None:
    """The stored run `plan` continues (its object, its steps): the longest finished run of
    the same program with fewer steps whose final state is kept; None if there is none."""
    from clockspec.compiler.plan import compile as compile_plan

    steps = plan.spec.train.steps
    if why_not(plan) is not None:
        return None
    done_steps: set[int] = set()  # the lengths of the finished runs that keep their final state
    for final in (Path(store) / OBJECTS).glob(f"*/{FINAL}"):
        done = _finished_steps(final.parent) if is_real_dir(final.parent) else None  # walks follow no link
        if done is not None and 0 < done < steps:
            done_steps.add(done)
    for done in sorted(done_steps, reverse=True):
        train = plan.spec.train.model_copy(update={"steps": done})
        shorter = compile_plan(plan.spec.model_copy(update={"train": train}))
        base = Path(store) / OBJECTS / shorter.train_hash
        same_step = shorter.derived.get("execution") == plan.derived.get("execution")
        if same_step and is_real_dir(base) and (base / FINAL).is_file() and _finished_steps(base) == done:
            return base, done
    return None


def _finished_steps(obj: Path) -> int | None:
    """The steps of the complete run in `obj` that ran all its steps, else None."""
    status = read_json(obj / STATUS)
    if not isinstance(status, dict) or status.get("status") != "complete":
        return None
    done = status.get("step")
    return done if isinstance(done, int) and done == status.get("steps") else None


def prepare(rd: RunDir, base: Path, done: int, train_hash: str) -> None:
    """Make `rd` (the longer run's object) the base run interrupted at its last step: its
    rows before that step, its final state as the checkpoint, and `extends.json` saying so."""
    rows = RunDir(base).read_rows(before=done)
    rd.write(EXTENDS, json.dumps({"train_hash": base.name, "step": done}) + "\n")
    rd.write(METRICS, "".join(row_line(r) for r in rows))
    write_atomic(rd / CHECKPOINT, read_store_file(base / FINAL))
    previous = read_json(base / STATUS) or {}
    rd.write_json(STATUS, {"status": "interrupted", "step": done, "train_hash": train_hash,
                           "wall_s": previous.get("wall_s", 0.0), "reason": f"extends {base.name[:12]}"})
