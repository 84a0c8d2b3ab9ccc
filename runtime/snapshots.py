"""Model snapshots as torch sees them: the bytes a run files (`clockspec.store.snapshots`
keeps them and their budget) and `load_model(run_dir, step)`, which rebuilds the model the
run trained from its `spec.lock.yaml` and loads the snapshot into it."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.core.records import read_store_file
from clockspec.ir.spec import Experiment
from clockspec.store.objects import data_dir
from clockspec.store.rundir import PLAN, SPEC
from clockspec.store.snapshots import list_snapshots

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def model_bytes(model: torch.nn.Module) -> bytes:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def load_model(run_dir: str | Path, step: int | None = None, device: str = "cpu") -> torch.nn.Module:
    """The model of run `run_dir` as its snapshot at `step` holds it (None: the latest
    snapshot), in eval mode on `device`. RunError names the steps there are when `step` is
    not one of them."""
    from clockspec.runtime.models import build_model
    from clockspec.runtime.objective import model_view
    from clockspec.runtime.tasks import build_task
    from clockspec.syntax.loading import load

    run_dir = data_dir(run_dir)  # a view's snapshots are its object's
    snaps = list_snapshots(run_dir)
    if not snaps:
        raise RunError("this run has no snapshots", str(run_dir),
                       hint="add `snapshots: {at: [CLOCK, ...]}` to the spec and run it again")
    chosen = snaps[-1] if step is None else next((s for s in snaps if s.step == step), None)
    if chosen is None:
        raise RunError(f"no snapshot at step {step}; there are snapshots at steps "
                       f"{', '.join(str(s.step) for s in snaps)}", str(run_dir))
    spec = load(run_dir / SPEC)
    assert isinstance(spec, Experiment)
    data = _shapes(run_dir) if spec.task.reads_file() else build_task(spec.task)
    model = build_model(spec.model, model_view(data, spec.train.loss), spec.seed, DTYPES[spec.train.dtype])
    model.load_state_dict(torch.load(io.BytesIO(read_store_file(chosen.path(run_dir))), map_location="cpu",
                                     weights_only=True))
    return model.to(device).eval()


def _shapes(run_dir: Path) -> Any:
    """The model's sizes as the run's plan recorded them, for a task that read a file: the
    file's path is relative to the spec's folder, which a run directory does not know (and
    the data may have changed or gone since; the model needs only its sizes)."""
    from clockspec.runtime.tasks import Dataset

    derived = (read_json(run_dir / PLAN) or {}).get("derived") or {}
    sizes = derived.get("input_dim"), derived.get("output_dim")
    if not all(type(n) is int and n > 0 for n in sizes):
        raise RunError("plan.json records no input_dim and output_dim (damaged?)", str(run_dir / PLAN))
    empty = torch.empty(0)
    return Dataset(empty, empty, empty, empty, n_inputs=sizes[0], n_classes=sizes[1])
