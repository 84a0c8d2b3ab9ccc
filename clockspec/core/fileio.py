"""Writing files so that a reader never sees half of one: a temp file, synced, then os.replace;
and reading back the JSON files so written.

Every file clockspec writes goes through here (specs rewritten by fmt, run directories,
family folders, reports): a process killed at any instant leaves each name with its old
content or its new, and at worst a `.NAME.*` temporary file that the next run sweeps away.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from clockspec.core.safepaths import read_no_follow


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Replace `path` with `data` (text as UTF-8) in one step, keeping an existing file's
    permissions; the parent directory is made if missing. A failed write raises OSError
    naming `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and exc.filename is None:  # a failed write names no file: name it
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_json(path: str | os.PathLike) -> Any:
    """The JSON document in `path`, or None when there is none: the file is missing, or holds
    no whole JSON (a file written by something other than `write_atomic`, cut short, not
    UTF-8, nested past the parser's depth, a folder where a file goes, or a symbolic link,
    which is never read through: `read_no_follow`)."""
    try:
        return json.loads(read_no_follow(path))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError, RecursionError):
        return None
