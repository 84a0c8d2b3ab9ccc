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
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from clockspec.core.fileio import write_atomic
from clockspec.core.records import not_a_file
from clockspec.core.safepaths import UnsafePath, open_no_follow, read_no_follow
from clockspec.store.objects import data_dir

FINISHED = ("complete", "diverged")  # a finished run is reused, never retrained
SPEC, PLAN, METRICS, CLOCKS, STATUS, CURVES = (
    "spec.lock.yaml", "plan.json", "metrics.jsonl", "clocks.json", "status.json", "curves.png")
CHECKPOINT = "checkpoint.pt"  # only while a run is unfinished (interrupted or failed)
TIMES = "times.jsonl"  # when each probe row was recorded (wall clock), apart from the bit-identical rows
FINAL = "final.pt"  # the state at the last step, kept by a run that a longer one may extend (store/extend.py)
EXTENDS = "extends.json"  # in an extended run: the run it continued
OUTPUTS = (STATUS, CLOCKS, SPEC, PLAN, METRICS, TIMES, CURVES, CHECKPOINT, FINAL, EXTENDS)  # status first: see RunDir.clear
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
STATUS_FIELDS = {"status": str, "step": int, "steps": int, "train_hash": str, "wall_s": (int, float), "git": dict}
CLOCKS_FIELDS = {"clocks": dict, "clock_hashes": dict, "status": str}  # what a reader may rely on (core.records)
STATUS_ROOM = 1024  # trailing spaces in status.json: room to record a failure when the disk is full


def row_line(row: dict[str, Any]) -> str:
    return json.dumps(row, allow_nan=False) + "\n"


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def sweep(self) -> None:
        """Remove the temporary files of writes that a killed process never renamed into place
        (only while holding the run's lock: then no write is in flight)."""
        for p in self.path.glob(".*"):
            if any(p.name.startswith(f".{n}.") for n in OUTPUTS):
                p.unlink(missing_ok=True)

    def clear(self) -> None:
        """Remove every output, status first: a process killed half-way leaves no finished
        status over missing files."""
        self.remove(*OUTPUTS)

    def write(self, name: str, data: bytes | str) -> None:
        write_atomic(self / name, data)

    def write_json(self, name: str, data: Any) -> None:
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
        self.write(name, text + " " * STATUS_ROOM if name == STATUS else text)

    def record_status(self, doc: dict[str, Any]) -> bool:
        """Write status.json even on a full disk: atomically if there is room, else over the
        old file's own blocks (padded with spaces to its length, so no block is allocated;
        every status.json ends in STATUS_ROOM spaces for this). False if neither worked."""
        try:
            self.write_json(STATUS, doc)
            return True
        except OSError as exc:
            if exc.errno not in FULL:
                return False
        try:
            with open(open_no_follow(self / STATUS, os.O_RDWR), "r+b") as fh:
                old = len(fh.read())
                data = (json.dumps(doc, indent=2, allow_nan=False) + "\n").encode()
                if len(data) > old:
                    return False
                fh.seek(0)
                fh.write(data + b" " * (old - len(data)))
                fh.flush()
                os.fsync(fh.fileno())
            return True
        except (OSError, UnsafePath):
            return False

    def read_rows(self, before: int | None = None) -> list[dict[str, Any]]:
        """The recorded probe rows (with step < `before` if given), skipping a torn last line."""
        path = data_dir(self.path) / METRICS  # a view's rows are its object's
        try:
            text = read_no_follow(path).decode()
        except FileNotFoundError:
            return []
        except UnsafePath:
            raise not_a_file(path) from None
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
        fd = open_no_follow(self / METRICS, os.O_WRONLY | os.O_APPEND | os.O_CREAT)  # never append into a link's target
        return open(fd, "a", encoding="utf-8")

    def append_times(self) -> TextIO:
        fd = open_no_follow(self / TIMES, os.O_WRONLY | os.O_APPEND | os.O_CREAT)  # never append into a link's target
        return open(fd, "a", encoding="utf-8")

    def remove(self, *names: str) -> None:
        for name in names:
            (self / name).unlink(missing_ok=True)
