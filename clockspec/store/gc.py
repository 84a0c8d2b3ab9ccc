"""`clockspec gc`: what in a store no name needs any more, and its removal.

Garbage is an object no view points at (its name folders were deleted), the checkpoint a
finished run no longer needs (left by a process killed between its last two writes), a clock
record no view shows, the temporary folder of a migration that was killed, and the lock file
of an object no longer there. An object a process holds (training now) is never garbage; each
object is removed under its lock, after checking again that no view has come to point at it,
and its lock file with it.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.store.lock import claim, forget, held, lock_path
from clockspec.store.objects import HASH, OBJECTS, RECORDS, read_view, referenced, size_of
from clockspec.store.rundir import CHECKPOINT, FINISHED, STATUS

ORPHAN = "no name points at it"
LOCK = re.compile(r"\.([0-9a-f]+)\.lock")


@dataclass(frozen=True)
class Garbage:
    path: Path
    bytes: int
    why: str


def collect(store: Path) -> list[Garbage]:
    """Everything in `store` that no name needs, in object order."""
    folder = Path(store) / OBJECTS
    if not folder.is_dir():
        return []
    refs = referenced(store)
    out: list[Garbage] = []
    for obj in sorted(folder.iterdir()):
        if obj.is_symlink() or not obj.is_dir():
            continue
        if obj.name.startswith((".new-", ".old-")) and not held(_object_of(obj)):
            out.append(Garbage(obj, size_of(obj), "left by a migration that was stopped"))
        elif HASH.fullmatch(obj.name) and not held(obj):
            out += _in_object(obj, refs.get(obj.name, []))
    return out + _stray_locks(folder)


def _stray_locks(folder: Path) -> list[Garbage]:
    """Lock files whose object is gone (removed before `gc` took its lock file with it)."""
    out = []
    for lock in sorted(folder.glob(".*.lock")):
        match = LOCK.fullmatch(lock.name)
        obj = folder / match.group(1) if match else None
        if obj is not None and HASH.fullmatch(obj.name) and not lock.is_symlink() and not obj.exists() \
                and not held(obj):
            out.append(Garbage(lock, size_of(lock), "the lock of a program no longer stored"))
    return out


def _in_object(obj: Path, views: list[Path]) -> list[Garbage]:
    if not views:
        return [Garbage(obj, size_of(obj), ORPHAN)]
    out = []
    if (read_json(obj / STATUS) or {}).get("status") in FINISHED and (obj / CHECKPOINT).is_file():
        out.append(Garbage(obj / CHECKPOINT, size_of(obj / CHECKPOINT), "checkpoint of a finished run"))
    shown = {doc["clocks"] for v in views if (doc := read_view(v)) is not None}
    for record in sorted((obj / RECORDS).glob("*.json")) if (obj / RECORDS).is_dir() else []:
        if record.stem not in shown:
            figure = record.with_suffix(".png")
            out.append(Garbage(record, size_of(record) + size_of(figure), "a clock set no name shows"))
    return out


def remove(store: Path, item: Garbage) -> bool:
    """Remove one piece of garbage under its object's lock; False when a process holds the
    object, or a view has come to point at it meanwhile."""
    obj = _object_of(item.path)
    try:
        with claim(obj):
            if item.why == ORPHAN and obj.name in referenced(store):
                return False
            if item.path != lock_path(obj):  # a stray lock goes by `forget` below
                _delete(item.path)
            if item.path.suffix == ".json":  # a clock record's figure goes with it
                _delete(item.path.with_suffix(".png"))
            if not obj.exists():
                forget(obj)
    except RunError:
        return False
    return True


def _object_of(path: Path) -> Path:
    """The object a piece of garbage belongs to (a migration's temporary folder: the one it builds)."""
    if path.parent.name == OBJECTS:
        if match := LOCK.fullmatch(path.name):
            return path.parent / match.group(1)
        return path.parent / path.name.split("-")[1] if path.name.startswith(".") else path
    return path.parent.parent if path.parent.name == RECORDS else path.parent


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
