"""Shrink a failing fuzz input while it still fails the same way (delta debugging over
lines, then characters), so the regression corpus holds small, readable reproductions.
"""
from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from pathlib import Path

from .harness import FrontEnd, Input


def outcome(front: FrontEnd, data: Input, limit: float) -> str | None:
    """None when the input passes its check in time, else what went wrong (type and place)."""
    t0 = time.perf_counter()
    try:
        front.check(data)
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
    return "slow" if time.perf_counter() - t0 > limit else None


def minimize(front: FrontEnd, raw: bytes, limit: float = 1.0, budget: int = 5000) -> Input:
    """The smallest input found that fails like `raw` (tried as bytes, then as text)."""
    candidates: list[Input] = [raw]
    try:
        candidates.insert(0, raw.decode("utf-8", "surrogatepass"))
    except UnicodeDecodeError:
        pass
    for data in candidates:
        target = outcome(front, data, limit)
        if target is not None:
            still = lambda d, target=target: outcome(front, d, limit) == target
            data = _ddmin(data, still, "\n", budget)
            return _ddmin(data, still, None, budget)
    raise ValueError("the input does not fail; nothing to minimize")


def _ddmin(data: Input, still: Callable[[Input], bool], sep: str | None, budget: int) -> Input:
    """Remove chunks (lines when `sep` is given, else single characters) while it still fails."""
    if sep is not None:
        joiner = sep if isinstance(data, str) else sep.encode()
        parts = data.split(joiner)  # type: ignore[arg-type]
    else:
        joiner = data[:0]
        parts = [data[i:i + 1] for i in range(len(data))]
    chunk = max(len(parts) // 2, 1)
    while chunk >= 1 and budget > 0:
        i, removed = 0, False
        while i < len(parts) and budget > 0:
            trial = parts[:i] + parts[i + chunk:]
            budget -= 1
            if trial and still(joiner.join(trial)):
                parts, removed = trial, True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    return joiner.join(parts)
