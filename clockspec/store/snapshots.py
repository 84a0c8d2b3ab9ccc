"""A run's model snapshots, `snapshots/step-NNNNNNNN.pt` beside `snapshots/index.json`, which
says for each the step, the clocks that fired there (or `every` for the schedule), its size,
and whether it is provisional (an online settle clock may move later: see docs/runtime.md).

The bytes come from the runtime (torch); this module only files them and keeps the budget.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clockspec.core.fileio import read_json, write_atomic
from clockspec.core.safepaths import component, refuse_link
from clockspec.store.objects import data_dir

FOLDER, INDEX = "snapshots", "index.json"


@dataclass(frozen=True)
class Snapshot:
    step: int
    file: str
    bytes: int
    reasons: list[str] = field(default_factory=list)  # clock names, or "every"
    clock_steps: dict[str, int] = field(default_factory=dict)  # each clock's step as known online then

    def path(self, run_dir: Path) -> Path:
        return data_dir(run_dir) / FOLDER / self.file


def list_snapshots(run_dir: str | Path) -> list[Snapshot]:
    """The snapshots the index lists (a view's are its object's); an entry that is not one (a
    damaged or edited index: wrong types, a file name that is not a plain `step-*.pt` name in
    the folder) is left out, so nothing outside the folder is ever read or deleted on an
    index's word."""
    data = read_json(data_dir(run_dir) / FOLDER / INDEX)
    if not isinstance(data, list):
        return []
    return [snap for d in data if (snap := _entry(d)) is not None]


def _entry(d: Any) -> Snapshot | None:
    if not isinstance(d, dict) or type(d.get("step")) is not int or not _plain_name(d.get("file")):
        return None
    size, reasons, clock_steps = d.get("bytes", 0), d.get("reasons", []), d.get("clock_steps", {})
    if type(size) is not int or not isinstance(reasons, list) or not isinstance(clock_steps, dict):
        return None
    return Snapshot(d["step"], d["file"], size, [str(r) for r in reasons],
                    {str(k): v for k, v in clock_steps.items() if type(v) is int})


def _plain_name(name: Any) -> bool:
    return isinstance(name, str) and component(name) == name and name.startswith("step-") and name.endswith(".pt")


def save_snapshot(run_dir: Path, step: int, reasons: list[str], clock_steps: dict[str, int], data: bytes,
                  keep: int, budget_bytes: int | None) -> list[Snapshot]:
    """File the model at `step` (its reasons merged into an existing snapshot of that step), then
    keep the budget: at most `keep` snapshots and `budget_bytes` in all, dropping the oldest
    scheduled ones first and clock snapshots last. The snapshots kept."""
    folder = Path(run_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    found = {s.step: s for s in list_snapshots(run_dir)}
    old = found.get(step)
    name = f"step-{step:08d}.pt"
    write_atomic(folder / name, data)
    merged = list(dict.fromkeys((old.reasons if old else []) + reasons))
    found[step] = Snapshot(step, name, len(data), merged, {**(old.clock_steps if old else {}), **clock_steps})
    kept = _within_budget(sorted(found.values(), key=lambda s: s.step), keep, budget_bytes)
    _write_index(folder, kept)
    for gone in set(found) - {s.step for s in kept}:
        (folder / found[gone].file).unlink(missing_ok=True)
    return kept


def _within_budget(snaps: list[Snapshot], keep: int, budget_bytes: int | None) -> list[Snapshot]:
    def over(kept: list[Snapshot]) -> bool:
        return len(kept) > keep or (budget_bytes is not None and sum(s.bytes for s in kept) > budget_bytes)

    kept = list(snaps)
    # first to go: scheduled ones, oldest first; then clock snapshots, oldest first
    order = sorted(kept, key=lambda s: (s.reasons != ["every"], s.step))
    for victim in order:
        if not over(kept):
            break
        kept.remove(victim)
    return kept


def _write_index(folder: Path, snaps: list[Snapshot]) -> None:
    doc: list[dict[str, Any]] = [asdict(s) for s in snaps]
    write_atomic(folder / INDEX, json.dumps(doc, indent=1) + "\n")


def clear_snapshots(run_dir: Path) -> None:
    """A fresh run starts with none (a retrain's old snapshots belong to no run any more)."""
    folder = Path(run_dir) / FOLDER
    refuse_link(folder)  # a linked folder would have the deletes land in its target
    for snap in list_snapshots(run_dir):
        (folder / snap.file).unlink(missing_ok=True)
    (folder / INDEX).unlink(missing_ok=True)
