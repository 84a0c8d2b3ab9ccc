"""A family's run folder, `runs/<family>/`: what ran, what changed, what is done.

- `family.lock.json`: the expanded member list the folder was started with (name, label,
  assignment, canonical spec, train hash). A later run compares the family's expansion
  with it and says what changed before running anything.
- `attempts.json`: failed attempts per member, so one that keeps failing is not retried
  forever.
- `<member>-<train hash 12>/`: each member's view onto the store's object of its train
  hash (`clockspec.store.objects`), as `clockspec.runtime.run` names it under this folder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clockspec.compiler.node_id import NodeId
from clockspec.compiler.plan import Plan
from clockspec.core.fileio import read_json, write_atomic
from clockspec.core.records import DamagedFile, read_record
from clockspec.core.run_names import run_dir_name
from clockspec.families.expand import Expansion, Member
from clockspec.store.objects import clock_key, object_dir, read_view
from clockspec.store.rundir import CLOCKS, FINISHED, STATUS, STATUS_FIELDS

LOCK = "family.lock.json"
ATTEMPTS = "attempts.json"


@dataclass(frozen=True)
class Entry:
    """One member as the folder records it."""

    name: str
    label: str
    assignment: dict[str, Any]
    spec: dict[str, Any]
    train_hash: str

    @property
    def run_dir(self) -> str:
        return run_dir_name(self.name, self.train_hash)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "assignment": self.assignment,
                "train_hash": self.train_hash, "run_dir": self.run_dir, "spec": self.spec}


def entry(member: Member, plan: Plan) -> Entry:
    return Entry(member.name, member.label, member.assignment, member.spec.model_dump(mode="json"), plan.train_hash)


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=1, allow_nan=False) + "\n")


def write_lock(folder: Path, exp: Expansion, entries: list[Entry], source: str) -> None:
    write_json(folder / LOCK, {
        "family": exp.family.family,
        "source": source,
        "varied": exp.varied,
        "keys": exp.keys,
        "members": [e.to_json() for e in entries],
    })


def read_lock(folder: Path) -> dict[str, Any] | None:
    """The folder's lock, each member a record with a name and a spec (DamagedFile naming the
    field otherwise); None when the folder has none."""
    lock = read_record(folder / LOCK, {"members": list, "family": str})
    for i, member in enumerate(lock.get("members") or [] if lock else []):
        if not isinstance(member, dict) or not isinstance(member.get("name"), str) \
                or not isinstance(member.get("spec"), dict):
            raise DamagedFile(folder / LOCK, f"members[{i}]", "a member record with a name and a spec")
    return lock


def changes(lock: dict[str, Any] | None, entries: list[Entry]) -> list[str]:
    """What differs between the recorded member list and the current one, for people."""
    if lock is None:
        return []
    before = {m["name"]: m for m in lock.get("members", [])}
    now = {e.name: e for e in entries}
    out = []
    for name, e in now.items():
        old = before.get(name)
        if old is None:
            out.append(f"+ {name}: new member ({e.label})")
        elif diffs := _differences(old["spec"], e.spec):  # a field added since, absent = null, is no change
            shown = "; ".join(diffs[:4]) + (f"; and {len(diffs) - 4} more" if len(diffs) > 4 else "")
            out.append(f"~ {name}: {shown}")
    out += [f"- {name}: no longer a member" for name in before if name not in now]
    return out


def _differences(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            out += _differences(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if old == new else [f"{path} {_show(old)} -> {_show(new)}"]


def _show(value: Any) -> str:
    return "off" if value is None else json.dumps(value)


def state(store: Path, view: Path, plan: Plan) -> str:
    """`done` (finished, and `view` shows the plan's clock set), `clocks` (finished: only the
    view to point or its clocks to evaluate, no training), `unfinished` (interrupted: resume
    it) or `new`. A run directory of the previous layout at `view` is judged in place (a run
    moves it into the store)."""
    train_hash = plan.train_hash
    status = read_record(object_dir(store, train_hash) / STATUS, STATUS_FIELDS) or {}
    if status.get("train_hash") != train_hash and read_view(view) is None:
        status = read_record(view / STATUS, STATUS_FIELDS) or {}
    if status.get("train_hash") != train_hash:
        return "new"
    if status.get("status") in FINISHED:
        key = clock_key({name: plan.hash(NodeId.clock(name)) for name in plan.spec.clocks})
        shown = read_view(view) == {"train_hash": train_hash, "clocks": key} and (view / CLOCKS).is_file()
        return "done" if shown else "clocks"
    return "unfinished"


class Attempts:
    """Failed attempts per member, kept across invocations."""

    def __init__(self, folder: Path):
        self.path = folder / ATTEMPTS
        data = read_json(self.path)  # a damaged record counts no attempts (and is rewritten)
        self.data: dict[str, dict[str, Any]] = {k: v for k, v in data.items() if isinstance(v, dict)
                                                 and type(v.get("failed")) is int} if isinstance(data, dict) else {}

    def count(self, name: str) -> int:
        return self.data.get(name, {}).get("failed", 0)

    def failed(self, name: str, error: str) -> int:
        record = self.data.setdefault(name, {"failed": 0})
        record["failed"] += 1
        record["last_error"] = error
        write_json(self.path, self.data)
        return record["failed"]

    def clear(self) -> None:
        self.data.clear()
        write_json(self.path, self.data)
