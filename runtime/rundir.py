"""The run directory (DESIGN.md's table): every file written atomically.

`metrics.jsonl` is the one file appended to: one row per probe, flushed, so a crash leaves at
worst a truncated last line, which reading skips and a resume cuts away.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, TextIO

from filelock import FileLock

SPEC, PLAN, METRICS, CLOCKS, STATUS, CURVES = (
    "spec.lock.yaml", "plan.json", "metrics.jsonl", "clocks.json", "status.json", "curves.png")
CHECKPOINT = "checkpoint.pt"  # only while a run is unfinished (interrupted or failed)
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside `path`, then rename over it: readers see the old
    content or the new one, never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def row_line(row: dict[str, Any]) -> str:
    return json.dumps(row, allow_nan=False) + "\n"


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def lock(self) -> FileLock:
        """Held while a process works on this run; beside the directory, not in it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path.parent / f".{self.path.name}.lock"))

    def write(self, name: str, data: bytes | str) -> None:
        atomic_write(self / name, data)

    def write_json(self, name: str, data: Any) -> None:
        self.write(name, json.dumps(data, indent=2, allow_nan=False) + "\n")

    def read_json(self, name: str) -> Any:
        try:
            return json.loads((self / name).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def read_rows(self, before: int | None = None) -> list[dict[str, Any]]:
        """The recorded probe rows (with step < `before` if given), skipping a torn last line."""
        try:
            text = (self / METRICS).read_text()
        except FileNotFoundError:
            return []
        rows = []
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break  # the process died mid-write
            row = json.loads(line)
            if before is not None and row["step"] >= before:
                break
            rows.append(row)
        return rows

    def reset_rows(self, rows: Iterable[dict[str, Any]] = ()) -> None:
        self.write(METRICS, "".join(row_line(r) for r in rows))

    def append_rows(self) -> TextIO:
        return open(self / METRICS, "a", encoding="utf-8")

    def remove(self, *names: str) -> None:
        for name in names:
            (self / name).unlink(missing_ok=True)
