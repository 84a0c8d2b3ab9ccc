"""The run index: every run under some folders, read back as one record each.

A run is a view (a folder holding `view.json`, onto the store's object of its train hash:
`clockspec.store.objects`) or a run directory of the previous layout (holding `status.json`);
a family folder holds `family.lock.json` and its members' views, which are grouped under it. Nothing is trained or
imported from torch: the records come from `status.json`, `clocks.json`, `spec.lock.yaml`
and the `snapshots/` folder alone, so `clockspec runs` reads a run in a few ms (`python bench/runs_index.py RUN_DIR`: 1,000
runs in 2.6 s on a busy 2-core machine, linear in the runs).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clockspec.core.errors import Diagnostic, SpecError, argument_error
from clockspec.core.fileio import read_json
from clockspec.core.safepaths import UnsafePath, inside, is_real_dir, refuse_link
from clockspec.store.annotations import read_annotations
from clockspec.store.family import LOCK
from clockspec.store.lock import held
from clockspec.store.objects import VIEW, data_dir, size_of
from clockspec.store.rundir import CLOCKS, PLAN, SPEC, STATUS
from clockspec.store.snapshots import list_snapshots

FORMATS = ("table", "csv", "json", "md")  # how `clockspec runs` prints the index (report/runs_table.py)
HIDDEN_PATHS = ("name", "description", "tags", "clockspec")  # said by other columns, or by nobody


@dataclass
class RunRecord:
    """One run directory as the index shows it."""

    path: Path
    name: str
    status: str
    step: int
    steps: int | None
    train_hash: str
    wall_s: float | None
    date: str
    git: str  # short commit, `*` when the tree was dirty; "" outside git
    tags: list[str]
    clocks: dict[str, dict[str, Any]]  # name -> clocks.json's record
    spec: dict[str, Any]  # the locked spec as flat dotted paths
    family: str = ""
    label: str = ""
    snapshots: list[int] = field(default_factory=list)
    note: str = ""  # annotations.json's note (`runs --note`)
    data: Path | None = None  # where its training files are: its object (None: `path` itself)
    bytes: int = 0  # what its training files take on disk (metrics, kept state, snapshots)

    def clock_step(self, name: str) -> int | None:
        record = self.clocks.get(name) or {}
        return record.get("step") if record.get("reached") else None

    def fields(self) -> dict[str, Any]:
        """What a --where condition and --sort see: the spec's paths, run facts, clock steps."""
        out: dict[str, Any] = {}
        for path, value in self.spec.items():
            _put(out, path.split("."), value)
        out.update(name=self.name, status=self.status, step=self.step, steps=self.steps, hash=self.train_hash[:12],
                   wall=self.wall_s, date=self.date, git=self.git, family=self.family, label=self.label,
                   tags=self.tags, snapshots=self.snapshots, note=self.note)
        out["clocks"] = {name: self.clock_step(name) for name in self.clocks}
        return out


def _put(tree: dict, parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        tree = tree.setdefault(part, {})
        if not isinstance(tree, dict):
            return
    tree[parts[-1]] = value


def find_runs(folders: list[str | os.PathLike]) -> list[RunRecord]:
    """Every run under `folders` (each a store, a family folder or one run directory), a
    family's members together in the order of its lock, the rest by path."""
    out: list[RunRecord] = []
    seen: set[Path] = set()
    for folder in folders:
        root = Path(folder)
        if not root.is_dir():
            raise SpecError([argument_error(str(folder), "no such folder (a run store, a family folder or a run "
                                                         "directory)")])
        for run_dir, family, label in _walk(root):
            if run_dir.resolve() not in seen:
                seen.add(run_dir.resolve())
                record = read_run(run_dir, family, label)
                if record is not None:
                    out.append(record)
    return out


def _walk(root: Path):
    """(run directory, family name, member label) under `root`."""
    if _is_run(root):
        yield root, "", ""
        return
    if (root / LOCK).is_file():
        lock = read_json(root / LOCK)
        members = lock.get("members") if isinstance(lock, dict) else None
        if not isinstance(members, list):
            warn(root / LOCK, "members", "expected a list of members; the folder's runs are listed without it")
            members = []
        for i, member in enumerate(members):
            try:
                run_dir = inside(root, member.get("run_dir") if isinstance(member, dict) else None)
            except UnsafePath as exc:
                warn(root / LOCK, f"members[{i}].run_dir", str(exc))
                continue
            if _is_run(run_dir):
                yield run_dir, str(lock.get("family", root.name)), str(member.get("label", ""))
        if members:
            return
    for child in sorted(p for p in root.iterdir() if is_real_dir(p) and not p.name.startswith(".")):
        yield from _walk(child)  # links are not followed: `a -> .` would loop forever


def warn(path: Path, field: str, message: str) -> None:
    """A damaged store file is named on stderr with its field; the other runs are still listed."""
    print(Diagnostic(f"{field}: {message}", str(path), line=0, severity="warning").format(), file=sys.stderr)


def _is_run(path: Path) -> bool:
    return (path / VIEW).is_file() or (path / STATUS).is_file()


def read_run(run_dir: Path, family: str = "", label: str = "") -> RunRecord | None:
    """The record of one run (a view, or a run directory of the previous layout); None when
    its status is unreadable (a half-made folder, a view whose object is gone)."""
    data = data_dir(run_dir)
    status = read_json(data / STATUS)
    if not isinstance(status, dict) or not isinstance(status.get("status"), str):
        warn(data / STATUS, "status", "not a status record (damaged, not JSON in UTF-8, or a link); run left out")
        return None
    field = _Fields(data / STATUS, status)
    spec = _locked_spec(run_dir)
    state = status["status"]
    if state == "running" and not held(data):
        state = "died"  # its process ended without recording why (killed); `run --resume` continues it
    git = field.get("git", dict, {})
    commit = str(git.get("commit") or "")[:10] + ("*" if git.get("dirty") else "")
    said = read_annotations(run_dir)
    return RunRecord(
        path=run_dir, name=str(spec.get("name", run_dir.name)), status=state,
        step=field.get("step", int, 0), steps=field.get("steps", int, None), train_hash=field.get("train_hash", str, ""),
        wall_s=field.get("wall_s", (int, float), None), date=field.get("started", str, "") or _mtime(data / STATUS),
        git=commit, tags=list(dict.fromkeys([*(str(t) for t in spec.get("tags") or []), *said.tags])),
        clocks=_clocks(run_dir / CLOCKS), spec=flatten(spec), family=family, label=label,
        snapshots=[s.step for s in list_snapshots(data)], note=said.note, data=data, bytes=size_of(data))


class _Fields:
    """A store file's fields, each of the type it must have, or its default with a warning naming it."""

    def __init__(self, path: Path, doc: dict[str, Any]):
        self.path, self.doc = path, doc

    def get(self, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = self.doc.get(name)
        if value is None:
            return default
        if (isinstance(value, kind) and not isinstance(value, bool)):
            return value
        warn(self.path, name, f"expected {getattr(kind, '__name__', 'a number')}, got {type(value).__name__}")
        return default


def _clocks(path: Path) -> dict[str, dict[str, Any]]:
    """clocks.json's records: a clock whose record is damaged is left out (and named)."""
    doc = read_json(path)
    if doc is None:
        return {}
    clocks = doc.get("clocks") if isinstance(doc, dict) else None
    if not isinstance(clocks, dict):
        warn(path, "clocks", "expected a mapping of clock names to records")
        return {}
    out = {}
    for name, record in clocks.items():
        if isinstance(record, dict) and (not record.get("reached") or type(record.get("step")) is int):
            out[name] = record
        else:
            warn(path, f"clocks.{name}", "expected a record with a whole-number step")
    return out


def _locked_spec(run_dir: Path) -> dict[str, Any]:
    """The spec that ran, as plain data (clocks as their text); {} when it cannot be read.
    Read from plan.json's copy of it (JSON: 7x faster than the YAML front end, which
    spec.lock.yaml, written beside it, falls back to)."""
    from pydantic import ValidationError

    from clockspec.ir.spec import Experiment
    from clockspec.syntax.loading import load

    try:
        spec = Experiment.model_validate((read_json(run_dir / PLAN) or {})["spec"])
    except (KeyError, TypeError, ValidationError):
        try:
            refuse_link(run_dir / SPEC)  # a store file is read through no link
            spec = load(run_dir / SPEC)
        except (SpecError, UnsafePath):
            return {}
    data = spec.model_dump(mode="json")
    data["clocks"] = {name: clock.text() for name, clock in spec.clocks.items()}
    return data


def _mtime(path: Path) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime))


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings -> {dotted path: leaf}; lists are leaves (a hidden width is one value)."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def differing(records: list[RunRecord]) -> list[str]:
    """The spec paths whose values are not the same in every record, in first-seen order; a
    part that some records lack altogether (`snapshots`, a regularizer) is one path, shown
    on or off (`value_at`), unless the records that have it differ inside it: then each
    field that differs is a path, `off` where the part is (weight decay off, 0.3, 1.0)."""
    paths: dict[str, None] = {}
    for r in records:
        paths.update(dict.fromkeys(r.spec))
    absent = {p for r in records for p, v in r.spec.items() if v is None}
    first = records[0].spec if records else {}
    varied: dict[str, tuple[str, bool]] = {}  # path -> (its part, whether the records having the part differ on it)
    for p in paths:
        if p.split(".")[0] in HIDDEN_PATHS or all(r.spec.get(p) == first.get(p) for r in records):
            continue
        parts = p.split(".")
        part = next((".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in absent), p)
        having = [r.spec.get(p) for r in records if any(k.startswith(part + ".") for k in r.spec)]
        varied[p] = (part, any(v != having[0] for v in having))
    inner = {part for part, differs in varied.values() if differs}
    out = {(p if part in inner else part): None for p, (part, differs) in varied.items() if differs or part not in inner}
    return list(out)


def value_at(record: RunRecord, path: str) -> Any:
    """The record's value at a flat path, or `on` for a part it has (with fields below it)."""
    if path in record.spec:
        return record.spec[path]
    return "on" if any(k.startswith(path + ".") for k in record.spec) else None
