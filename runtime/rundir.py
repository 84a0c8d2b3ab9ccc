"""The run directory (DESIGN.md's table): every file written atomically.

`metrics.jsonl` is the one file appended to: one row per probe, flushed, so a crash leaves at
worst a truncated last line, which reading skips and a resume cuts away. Files are synced
before they are renamed into place, so that after a power cut too a name holds either the
old content or the new.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, TextIO

SPEC, PLAN, METRICS, CLOCKS, STATUS, CURVES = (
    "spec.lock.yaml", "plan.json", "metrics.jsonl", "clocks.json", "status.json", "curves.png")
CHECKPOINT = "checkpoint.pt"  # only while a run is unfinished (interrupted or failed)
OUTPUTS = (STATUS, CLOCKS, SPEC, PLAN, METRICS, CURVES, CHECKPOINT)  # status first: see RunDir.clear
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
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
            fh.flush()
            os.fsync(fh.fileno())
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

    def sweep(self) -> list[str]:
        """Remove the temporary files of writes that a killed process never renamed into place
        (only while holding the run's lock: then no write is in flight)."""
        left = [p for p in self.path.glob(".*") if any(p.name.startswith(f".{n}.") for n in OUTPUTS)]
        for p in left:
            p.unlink(missing_ok=True)
        return [p.name for p in left]

    def clear(self) -> None:
        """Remove every output, status first: a process killed half-way leaves no finished
        status over missing files."""
        self.remove(*OUTPUTS)

    def write(self, name: str, data: bytes | str) -> None:
        atomic_write(self / name, data)

    def write_json(self, name: str, data: Any) -> None:
        self.write(name, json.dumps(data, indent=2, allow_nan=False) + "\n")

    def record_status(self, doc: dict[str, Any]) -> bool:
        """Write status.json even on a full disk: atomically if there is room, else over the
        old file's own blocks (padded with spaces to its length, so no block is allocated).
        False if neither worked."""
        text = json.dumps(doc, indent=2, allow_nan=False, default=str) + "\n"
        try:
            self.write(STATUS, text)
            return True
        except OSError as exc:
            if exc.errno not in FULL:
                return False
        try:
            with open(self / STATUS, "r+b") as fh:
                old = len(fh.read())
                data = text.encode()
                if len(data) > old:
                    data = json.dumps(doc, separators=(",", ":"), allow_nan=False, default=str).encode()
                if len(data) > old:
                    return False
                fh.seek(0)
                fh.write(data + b" " * (old - len(data)))
                fh.flush()
                os.fsync(fh.fileno())
            return True
        except OSError:
            return False

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
            try:
                row = json.loads(line) if line.endswith("\n") else None
            except ValueError:
                row = None
            if not isinstance(row, dict) or not isinstance(row.get("step"), int):
                break  # the process died mid-write: a torn last line
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
