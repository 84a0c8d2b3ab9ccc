"""JSON records read back from a store, checked field by field before anything uses them.

A store file may be damaged (a bad sector, a full disk, a hand edit): a status that is a
list, a step written as text, a file that is not UTF-8. Each is one clean error naming the
file and the field (`DamagedFile`, exit status 2), never a traceback from deep inside
whatever read it.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clockspec.core.errors import RunError
from clockspec.core.safepaths import UnsafePath, read_no_follow

HINT = "the file was damaged or edited by hand; clockspec run --force retrains the run (or remove the folder)"


class DamagedFile(RunError):
    """A store file whose content is not what clockspec wrote; names the file and the field."""

    def __init__(self, path: str | Path, field: str, expected: str):
        super().__init__(f"{field}: expected {expected}", str(path), hint=HINT, exit_status=2)
        self.field = field


def read_record(path: str | Path, fields: Mapping[str, type | tuple[type, ...]]) -> dict[str, Any] | None:
    """The JSON object in `path`, each of `fields` that is present (and not null) of its type
    (a bool is no number); None when there is no file. Raises DamagedFile."""
    try:
        raw = read_no_follow(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise DamagedFile(path, "(the file)", "a file, found a folder") from None
    except UnsafePath:
        raise not_a_file(path) from None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise DamagedFile(path, "(the file)", "a JSON object in UTF-8") from None
    if not isinstance(doc, dict):
        raise DamagedFile(path, "(the file)", f"a JSON object, found {_kind(doc)}")
    for name, kind in fields.items():
        value = doc.get(name)
        if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and bool not in _types(kind))):
            raise DamagedFile(path, name, f"{' or '.join(t.__name__ for t in _types(kind))}, found {_kind(value)}")
    return doc


def not_a_file(path: str | Path) -> DamagedFile:
    """A store file that is a symbolic link (never read through) or a pipe or device."""
    return DamagedFile(path, "(the file)", "a regular file, found a symbolic link or a special file")


def read_store_file(path: str | Path) -> bytes:
    """A file of the store, never read through a link (DamagedFile)."""
    try:
        return read_no_follow(path)
    except UnsafePath:
        raise not_a_file(path) from None


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean"}.get(type(value), type(value).__name__)
