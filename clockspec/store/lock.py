"""Who works on a run directory: one process at a time, and the others told who.

The lock is a kernel lock (`flock`) on a file beside the run directory, so it dies with its
holder: a killed run never leaves a stale lock, and the next `clockspec run` takes it at
once. The lock file also records its holder (pid, host, since when, the command), which is
how a second process can say who is running the experiment instead of just "busy".
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.core.safepaths import UnsafePath, open_no_follow, refuse_link
from clockspec.store.rundir import STATUS

BUSY = 75  # sysexits' EX_TEMPFAIL: try again later


def lock_path(run_dir: Path) -> Path:
    return run_dir.parent / f".{run_dir.name}.lock"


@contextmanager
def claim(run_dir: Path, wait: bool = False, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold `run_dir` for this process. Busy: raise RunError naming the holder, or, with
    `wait`, call `on_wait(holder)` and block until the holder is done."""
    fd = _lock(run_dir, wait, on_wait)
    try:
        _record(fd)
        yield
    finally:
        os.close(fd)  # releases the lock


def _lock(run_dir: Path, wait: bool, on_wait: Callable[[str], None] | None) -> int:
    """The locked descriptor of `run_dir`'s lock file. A holder may remove that file before
    it lets go (`forget`, when `gc` removes the object), so a waiter that gets the lock
    checks the file is still the one on disk and starts over when it is not."""
    while True:
        fd = _open(run_dir)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = describe(_read(fd), run_dir)
                if not wait:
                    raise RunError(f"another clockspec process is running this experiment: {holder}", str(run_dir),
                                   hint="wait for it with clockspec run --wait, or stop that process",
                                   exit_status=BUSY) from None
                if on_wait is not None:
                    on_wait(holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        if _still_on_disk(fd, lock_path(run_dir)):
            return fd
        os.close(fd)


def _open(run_dir: Path) -> int:
    path = lock_path(run_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        refuse_link(run_dir)  # a linked run directory (or lock) would have every write land in its target
        refuse_link(run_dir / "snapshots")
        return open_no_follow(path, os.O_RDWR | os.O_CREAT)
    except UnsafePath as exc:
        raise RunError(str(exc), str(run_dir), hint="remove the link; clockspec follows none in its store",
                       exit_status=2) from None
    except OSError as exc:
        raise RunError(f"cannot use the output directory: {exc.strerror}", str(exc.filename or path.parent),
                       hint="choose a writable --out") from None


def _still_on_disk(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def forget(run_dir: Path) -> None:
    """Remove `run_dir`'s lock file; only while holding it (`claim`), once `run_dir` is gone.
    Whoever waited on it starts over on a new file (`_lock`)."""
    lock_path(run_dir).unlink(missing_ok=True)


def held(run_dir: Path) -> bool:
    """Whether some process holds `run_dir` now (a `running` status nobody holds is a run
    whose process died)."""
    try:
        fd = open_no_follow(lock_path(run_dir), os.O_RDONLY)
    except (OSError, UnsafePath):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the probe's shared lock, if it got one


def _record(fd: int) -> None:
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
          "command": " ".join(["clockspec", *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"}
    data = json.dumps(me).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _read(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}


def describe(holder: dict, run_dir: Path) -> str:
    """'pid 4242 on host lab-3 since 05:12:03 UTC, at step 300 of 2,000 (clockspec run x.yaml)'."""
    if not holder.get("pid"):
        return "a process that has not said who it is yet"
    text = f"pid {holder['pid']} on host {holder.get('host', '?')}"
    if isinstance(holder.get("since"), (int, float)):
        text += " since " + time.strftime("%H:%M:%S UTC", time.gmtime(holder["since"]))
    status = read_json(run_dir / STATUS)
    try:
        text += f", at step {int(status['step']):,} of {int(status['steps']):,}"
    except (ValueError, KeyError, TypeError):
        pass  # no status yet, or one without a step count
    if holder.get("command"):
        text += f" ({holder['command']})"
    return text
