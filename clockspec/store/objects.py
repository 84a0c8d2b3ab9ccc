"""The store's objects and the views onto them (docs/workflow.md, "One store").

Each trained program lives once, in `<store>/.objects/<train hash>/`: its training status,
probe rows, checkpoint and snapshots, and the clock records evaluated from its rows. Every
name people see, a solo run's `<store>/<name>-<hash12>/`, a family member's
`<store>/<family>/<member>-<hash12>/`, is a view: a folder holding `view.json` (the train
hash and the clock set it shows) and what that name's spec asks for (its spec, plan, clocks
and figure). A view is an index entry, not a link: plain files behave the same on every
filesystem and OS, through rsync and tar, and a reader checks the hash instead of following
a path read from disk.

An object's training files never change once its run has finished. A clock set evaluated
later is a record of its own, `clocks/<clock key>.json` (and `.png`) in the object, keyed by
its clock-node hashes (`clock_key`); the training's own set stays in `clocks.json`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from clockspec.core.fileio import read_json, write_atomic

OBJECTS = ".objects"
VIEW = "view.json"
RECORDS = "clocks"  # the folder of an object's later clock records
HASH = re.compile(r"[0-9a-f]{16,128}")  # a train hash as a view names it (hex, nothing that walks a path)


def object_dir(store: Path, train_hash: str) -> Path:
    return Path(store) / OBJECTS / train_hash


def clock_key(hashes: dict[str, str]) -> str:
    """The key of a clock set: its clock-node hashes by name, hashed."""
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:16]


def read_view(path: Path) -> dict[str, str] | None:
    """A view's `view.json` ({train_hash, clocks}), or None when `path` holds no valid one."""
    data = read_json(Path(path) / VIEW)
    if not isinstance(data, dict):
        return None
    train_hash, key = data.get("train_hash"), data.get("clocks")
    if not (isinstance(train_hash, str) and HASH.fullmatch(train_hash) and isinstance(key, str)
            and HASH.fullmatch(key)):
        return None
    return {"train_hash": train_hash, "clocks": key}


def write_view(view: Path, train_hash: str, key: str) -> None:
    """Point `view` at the object of `train_hash`, showing clock set `key` (written last:
    the folder's other files are the view's before it names them)."""
    write_atomic(Path(view) / VIEW, json.dumps({"train_hash": train_hash, "clocks": key}) + "\n")


def store_of(view: Path, train_hash: str) -> Path | None:
    """The store a view belongs to: the nearest folder above it with its object."""
    for parent in Path(view).absolute().parents:
        if object_dir(parent, train_hash).is_dir():
            return parent
    return None


def data_dir(path: str | Path) -> Path:
    """Where a run's training files are: the object of a view, else `path` itself (a run
    directory of the previous layout, or an object)."""
    path = Path(path)
    view = read_view(path)
    if view is None:
        return path
    store = store_of(path, view["train_hash"])
    return path if store is None else object_dir(store, view["train_hash"])


def record_of(obj: Path, key: str) -> tuple[Path, Path]:
    """The clock record (JSON, figure) of set `key` in object `obj`: the training's own
    `clocks.json` when it is that set, else `clocks/<key>.json`."""
    own = read_json(obj / "clocks.json")
    if isinstance(own, dict) and isinstance(own.get("clock_hashes"), dict) and clock_key(own["clock_hashes"]) == key:
        return obj / "clocks.json", obj / "curves.png"
    return obj / RECORDS / f"{key}.json", obj / RECORDS / f"{key}.png"


def views_under(store: Path) -> list[Path]:
    """Every view folder in the store (objects excluded)."""
    out = []
    for path in sorted(Path(store).rglob(VIEW)):
        rel = path.relative_to(store).parts
        if rel[0] != OBJECTS and not path.is_symlink():
            out.append(path.parent)
    return out


def referenced(store: Path) -> dict[str, list[Path]]:
    """Train hash -> the views that point at it."""
    out: dict[str, list[Path]] = {}
    for view in views_under(store):
        doc = read_view(view)
        if doc is not None:
            out.setdefault(doc["train_hash"], []).append(view)
    return out


def size_of(path: Path) -> int:
    """Bytes in a file, or in every file below a folder (links not followed)."""
    if not path.is_dir() or path.is_symlink():
        return path.lstat().st_size if path.exists() or path.is_symlink() else 0
    return sum((Path(top) / f).lstat().st_size for top, _, files in os.walk(path) for f in files)
