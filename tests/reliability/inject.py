"""Run the clockspec CLI and SIGKILL it at an exact point: `python inject.py FAULT -- ARGS...`.

FAULT is `NAME:N`: die inside the N-th write of the run-directory file NAME (half of the
bytes written to its temporary file, synced, then SIGKILL); `NAME~TEXT`: inside the first
write of NAME whose content holds TEXT; or `row:N`: after half of the N-th metrics row
reached the file. The process really dies (no cleanup, no finally),
as it would under `kill -9` or the OOM killer; the tests then check what it left.
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def inject(fault: str) -> None:
    from clockspec.store import rundir

    name, n = fault.rsplit(":", 1) if ":" in fault else (fault, "0")
    name, _, text = name.partition("~")
    count = {"n": 0}

    def hit(data: bytes | str = "") -> bool:
        if text:
            return text in (data.decode(errors="replace") if isinstance(data, bytes) else data)
        count["n"] += 1
        return count["n"] == int(n)

    if name == "row":
        class Torn:
            def __init__(self, fh):
                self.fh = fh

            def write(self, text: str) -> int:
                if hit():
                    self.fh.write(text[: len(text) // 2])
                    self.fh.flush()
                    die()
                return self.fh.write(text)

            def __getattr__(self, attr):
                return getattr(self.fh, attr)

        plain = rundir.RunDir.append_rows
        rundir.RunDir.append_rows = lambda self: Torn(plain(self))
        return

    real = rundir.write_atomic

    def atomic_write(path: Path, data: bytes | str) -> None:
        if path.name == name and hit(data):
            raw = data.encode() if isinstance(data, str) else data
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, _ = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            os.write(fd, raw[: len(raw) // 2])
            os.fsync(fd)
            die()
        real(path, data)

    rundir.write_atomic = atomic_write


if __name__ == "__main__":
    fault, sep, *args = sys.argv[1:]
    assert sep == "--", "usage: inject.py FAULT -- ARGS..."
    inject(fault)
    from clockspec.commands.main import main

    sys.exit(main(args))
