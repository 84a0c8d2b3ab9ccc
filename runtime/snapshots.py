"""Model snapshots as torch sees them: the bytes a run files (`clockspec.store.snapshots`
keeps them and their budget) and `load_model(run_dir, step)`, which rebuilds the model the
run trained from its `spec.lock.yaml` and loads the snapshot into it."""
from __future__ import annotations

import io
from pathlib import Path

import torch

from clockspec.core.errors import RunError
from clockspec.ir.spec import Experiment
from clockspec.store.objects import data_dir
from clockspec.store.rundir import SPEC
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
    data = build_task(spec.task)
    model = build_model(spec.model, data, spec.seed, DTYPES[spec.train.dtype])
    model.load_state_dict(torch.load(chosen.path(run_dir), map_location="cpu", weights_only=True))
    return model.to(device).eval()
