"""Whether a longer run of a plan is this plan continued: nothing in the program may depend
on the total number of steps (`train.steps`). Each kind says for itself whether it does
(`uses_total_steps` of the optimizer and of the probes); the runtime keeps the state at the
last step only of a plan that may be extended (`clockspec.store.extend`)."""
from __future__ import annotations

from typing import Any


def why_not(plan: Any) -> str | None:
    """Why a longer `train.steps` is a new program from step 0 rather than this one
    continued; None when nothing depends on the total."""
    spec = plan.spec
    reason = spec.optimizer.uses_total_steps or spec.probes.uses_total_steps
    if reason is None and spec.snapshots is not None:
        reason = "it keeps model snapshots, which an extension does not carry over"
    return reason
