"""The progress bar: steps/s, the main metrics, and each clock as it fires."""
from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

_MAIN = (("train_loss", "loss", "{:.2e}"), ("test_loss", "test", "{:.2e}"),
         ("train_acc", "acc", "{:.3f}"), ("test_acc", "test", "{:.3f}"))


def wanted(progress: bool | None) -> bool:
    """Explicit choice, else on only when a person watches (stderr is a terminal)."""
    return sys.stderr.isatty() if progress is None else bool(progress)


class Progress:
    def __init__(self, enabled: bool, name: str, total: int, initial: int):
        self.enabled = enabled
        self.bar = tqdm(total=total, initial=initial, desc=name, unit="step", disable=not enabled,
                        dynamic_ncols=True, smoothing=0.05, file=sys.stderr)
        self.shown = initial

    def tick(self, step: int) -> None:
        if self.enabled:
            self.bar.update(step - self.shown)
            self.shown = step

    def probe(self, row: dict[str, Any], fired: list[tuple[str, Any, int | None]]) -> None:
        if not self.enabled:
            return
        self.tick(row["step"])
        parts = [f"{label} {fmt.format(row[m])}" for m, label, fmt in _MAIN if row.get(m) is not None]
        self.bar.set_postfix_str(" ".join(parts), refresh=False)
        for name, clock, step in fired:
            value = row.get(clock.metric)
            what = "settling (provisional: judged against the final value at the end)" if clock.needs_final_value \
                else "fired"
            line = f"  clock {name} {what} at step {step}: {clock.text()}"
            if value is not None:
                line += f"  ({clock.metric} = {value:.4g} at step {row['step']})"
            self.bar.write(line, file=sys.stderr)  # beside the bar, not on stdout (tqdm's default)

    def close(self) -> None:
        self.bar.close()
