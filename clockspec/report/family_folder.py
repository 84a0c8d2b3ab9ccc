"""A family folder read once, for every report made of it: the table and its figure
(`family_summary`) and the clock analysis (`family_analysis`).

A family folder is what `clockspec run FAMILY` writes: `family.lock.json` (the members, each
with its canonical spec and train hash) and one run directory per member. Without the lock,
every subfolder holding a `metrics.jsonl` is taken as a member (a folder of runs gathered by
hand); only the analysis can be made of such a folder. Reads what the folder records, never
the runtime, so it runs where there is no torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.core.fileio import read_json
from clockspec.core.safepaths import UnsafePath, inside, is_real_dir
from clockspec.store import family as store
from clockspec.store.lock import held
from clockspec.store.objects import data_dir


@dataclass(frozen=True)
class FolderMember:
    name: str
    label: str
    assignment: dict[str, Any]  # varied path -> the value set
    run_dir: Path
    spec: dict[str, Any]  # the canonical spec the lock records ({} without a lock)
    train_hash: str | None  # what the lock expects the run to have trained (None without a lock)
    status: dict[str, Any]  # status.json as recorded ({} when there is none)
    clocks: dict[str, Any]  # clocks.json as recorded ({} when there is none)
    has_rows: bool  # metrics.jsonl is there: the clock analysis can read the run

    @property
    def current(self) -> bool:
        """The recorded run is the one the lock asks for (not a stale run of an older member)."""
        return self.train_hash is None or self.status.get("train_hash") == self.train_hash


@dataclass(frozen=True)
class FamilyFolder:
    path: Path
    lock: dict[str, Any] | None  # None: not a folder that `clockspec run FAMILY` made
    members: list[FolderMember]

    @property
    def with_rows(self) -> list[FolderMember]:
        """The members that recorded probe rows: what the clock analysis can read."""
        return [m for m in self.members if m.has_rows]


def is_run_dir(path: Path) -> bool:
    return (data_dir(path) / "metrics.jsonl").is_file()


def read_family_folder(path: str | Path) -> FamilyFolder:
    path = Path(path)
    lock = read_json(path / store.LOCK) if path.is_dir() else None
    if lock is None:
        dirs = sorted(d for d in path.iterdir() if is_real_dir(d) and is_run_dir(d)) if path.is_dir() else []
        return FamilyFolder(path, None, [_member(d.name, d.name, {}, d, {}, None) for d in dirs])
    return FamilyFolder(path, lock, [_member(m["name"], m["label"], m["assignment"], _run_dir(path, m, i), m["spec"],
                                             m["train_hash"]) for i, m in enumerate(_members(path, lock))])


MEMBER_FIELDS = {"name": str, "label": str, "assignment": dict, "spec": dict, "train_hash": str}


def _members(path: Path, lock: Any) -> list[dict[str, Any]]:
    """The lock's members, each checked field by field: a damaged lock is an error naming the field."""
    members = lock.get("members") if isinstance(lock, dict) else None
    if not isinstance(members, list):
        _damaged(path, "members", "expected a list of members")
    for i, m in enumerate(members):
        for name, kind in MEMBER_FIELDS.items():
            if not isinstance(m, dict) or not isinstance(m.get(name), kind):
                _damaged(path, f"members[{i}].{name}", f"expected {kind.__name__}")
    return members


def _run_dir(path: Path, member: dict[str, Any], i: int) -> Path:
    try:
        return inside(path, member.get("run_dir"))  # an edited lock may name `../elsewhere`: never written there
    except UnsafePath as exc:
        _damaged(path, f"members[{i}].run_dir", str(exc))


def _damaged(path: Path, field: str, message: str) -> NoReturn:
    raise SpecError([Diagnostic(f"{field}: {message}", str(path / store.LOCK), line=0, col=0,
                                hint="the family's lock was damaged or edited: run the family again to rewrite it")])


def _member(name: str, label: str, assignment: dict[str, Any], run_dir: Path, spec: dict[str, Any],
            train_hash: str | None) -> FolderMember:
    data = data_dir(run_dir)
    status = _mapping(read_json(data / "status.json"))
    if status.get("status") == "running" and not held(data):  # its process ended without saying why
        status = {**status, "status": "died"}
    clocks = _mapping(read_json(run_dir / "clocks.json"))
    return FolderMember(name, label, assignment, run_dir, spec, train_hash, status, clocks, is_run_dir(run_dir))


def _mapping(doc: Any) -> dict[str, Any]:
    return doc if isinstance(doc, dict) else {}
