"""One training session of a model alone: build it, resume it, train it, write its outputs.

The torch half of `run` (see `runner`), imported only when there is something to train.
The training itself is the one core (`loop.train_members`) with the member's `MemberRun`
and the one training step, `stacked.Stacked` (a stack of one, the step of a batch too).
"""
from __future__ import annotations

import io
import pickle
import time
from pathlib import Path
from typing import Any

import torch

from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.core.records import read_store_file
from clockspec.runtime.device import numerics
from clockspec.runtime.loop import train_members
from clockspec.runtime.member import MemberRun, run_info
from clockspec.runtime.progress import wanted
from clockspec.runtime.results import RunResult
from clockspec.runtime.stacked import Stacked
from clockspec.store.rundir import STATUS, RunDir


def train(plan: Any, rd: RunDir, where: torch.device, dtype: torch.dtype, threads: int,
          progress: bool | None, resume_from: Path | None, checkpoint_every: float) -> RunResult:
    """Train from scratch, or from the checkpoint `resume_from`, and write every output."""
    spec = plan.spec
    member = MemberRun(plan, rd, run_info(plan, where, threads, torch.__version__), time.perf_counter())
    member.open((read_json(rd / STATUS) or {}) if resume_from is not None else None)
    start = member.start
    try:
        with numerics(where, threads):
            stack = Stacked([plan], where, dtype)
            rows: list[dict[str, Any]] = []
            if resume_from is not None:
                start = _resume(stack, resume_from, where, rd)
                rows = rd.read_rows(before=start)
            member.begin(start, stack.snapshot, lambda: stack.weights(0), rows, wanted(progress), checkpoint_every,
                         compile_seconds=stack.compile_seconds)
            train_members(stack, [member], start, spec.train.steps)
    except (MemoryError, torch.OutOfMemoryError) as exc:
        last = read_json(rd / STATUS) or {}
        rd.record_status({**last, "status": "failed", "reason": f"out of memory ({type(exc).__name__}: {exc})"[:500]})
        raise RunError(f"out of memory on {where} at step {last.get('step', start):,}", str(rd.path),
                       hint="a smaller model, batch or probe set, or another --device") from exc
    except BaseException as exc:  # before the loop (a refused checkpoint, Ctrl-C while building): failed or
        member.abandon(exc)  # interrupted at the step it had reached; in the loop, recorded already
        raise
    return member.result


def _resume(stack: Stacked, path: Path, where: torch.device, rd: RunDir) -> int:
    """Load the checkpoint into `stack`; the step it was taken at."""
    try:
        return stack.load_state_dict(torch.load(io.BytesIO(read_store_file(path)), map_location=where,
                                                weights_only=True))
    except (pickle.UnpicklingError, RuntimeError, ValueError, EOFError, KeyError, TypeError) as exc:
        raise RunError(f"cannot read the checkpoint {path} ({type(exc).__name__}): it was written by another "
                       "torch or clockspec, or damaged", str(rd.path),
                       hint="clockspec run --force starts this experiment over") from None
