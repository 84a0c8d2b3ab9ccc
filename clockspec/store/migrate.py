"""Reading a store of the previous layout into this one: a run directory that holds its own
training files (`status.json`, `metrics.jsonl`, ...) becomes the object of its train hash and
a view onto it (`clockspec migrate`, and `run` for the one directory it would use).

Each step leaves the store readable if the process is killed: the object is built in a
temporary folder and renamed into place, the view's `view.json` is written before the old
training files are removed, and a view wins over the files left beside it.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from clockspec.core.fileio import read_json, write_atomic
from clockspec.store.lock import claim
from clockspec.store.objects import HASH, OBJECTS, clock_key, object_dir, read_view, record_of, write_view
from clockspec.store.rundir import CHECKPOINT, CLOCKS, CURVES, FINISHED, METRICS, PLAN, SPEC, STATUS
from clockspec.store.snapshots import FOLDER as SNAPSHOTS

TRAINING = (STATUS, METRICS, CHECKPOINT, SNAPSHOTS)  # leave the old folder for the object
SHARED = (SPEC, PLAN, CLOCKS, CURVES)  # copied to the object, kept in the view


def legacy_runs(store: Path) -> list[Path]:
    """The run directories of the previous layout under `store` (objects and views excluded)."""
    out = []
    for status in sorted(Path(store).rglob(STATUS)):
        folder = status.parent
        rel = folder.relative_to(store).parts
        if not rel or rel[0] == OBJECTS or status.is_symlink() or read_view(folder) is not None:
            continue
        out.append(folder)
    return out


def adopt(legacy: Path, store: Path) -> str | None:
    """Make `legacy` a view onto its object, moving its training files there if the store has
    no better copy; what was done, for people (None: not a readable old run directory)."""
    status = read_json(legacy / STATUS)
    train_hash = status.get("train_hash") if isinstance(status, dict) else None
    if not isinstance(train_hash, str) or not HASH.fullmatch(train_hash):
        return None
    obj = object_dir(store, train_hash)
    with claim(obj, wait=True):
        if _better(status, read_json(obj / STATUS)):
            _install(legacy, obj)
            said = f"{legacy}: moved its run into {obj}"
        else:
            said = f"{legacy}: the store already holds this program ({obj}); kept as a name for it"
        clocks = read_json(legacy / CLOCKS)
        hashes = clocks.get("clock_hashes") if isinstance(clocks, dict) else None
        key = clock_key(hashes if isinstance(hashes, dict) else {})
        record, figure = record_of(obj, key)
        if isinstance(hashes, dict) and not record.exists():  # this name's clock set, kept beside the run
            _copy(legacy / CURVES, figure)
            _copy(legacy / CLOCKS, record)
        write_view(legacy, train_hash, key)
        for name in TRAINING:
            _remove(legacy / name)
    return said


def _better(old: dict, current: object) -> bool:
    """Whether the old run directory's training beats the object's (missing, or not as far)."""
    if not isinstance(current, dict):
        return True
    if current.get("status") in FINISHED:
        return False
    return old.get("status") in FINISHED or _step(old) > _step(current)


def _step(status: dict) -> int:
    step = status.get("step")
    return step if isinstance(step, int) else 0


def _install(legacy: Path, obj: Path) -> None:
    """The old folder's training files as the object, replacing an unfinished one."""
    tmp = obj.parent / f".new-{obj.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in TRAINING + SHARED:
        src = legacy / name
        if src.is_dir() and not src.is_symlink():
            shutil.copytree(src, tmp / name, copy_function=_link)
        elif src.is_file() and not src.is_symlink():
            _link(src, tmp / name)
    if obj.exists():
        old = obj.parent / f".old-{obj.name}-{os.getpid()}"
        obj.rename(old)
        shutil.rmtree(old)
    tmp.rename(obj)


def _link(src: str | Path, dst: str | Path) -> None:
    """A second name for the file (no copy), or a copy where the filesystem has no hard links."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _copy(src: Path, dst: Path) -> None:
    if src.is_file() and not src.is_symlink():
        write_atomic(dst, src.read_bytes())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)

