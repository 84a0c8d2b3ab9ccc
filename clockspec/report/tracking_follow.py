"""Live `--log`: a thread of the main process follows the `metrics.jsonl` of the runs being
trained under a folder and sends each new probe row to the trackers as it is written.

Following the files, not the training loop, keeps the trackers off the step (torch-free,
whether members train alone, batched in this process, or in worker processes) and needs
nothing from the runtime but the rows it already appends and flushes. A run is followed
from the moment its status says `running`; once it is finished the follower logs its clocks
and artifacts and closes its tracker run. A tracker's failure stops the streaming (training
goes on) and is raised when the follower stops, where the final export reports it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clockspec.core.fileio import read_json
from clockspec.report.tracking import Family, read_family, timed_rows
from clockspec.report.tracking_export import tracker, tracker_errors
from clockspec.store.index import read_run
from clockspec.store.rundir import CLOCKS, FINISHED, METRICS, STATUS, RunDir

POLL_S = 2.0  # how often the files are looked at: a point reaches the tracker at most this late


class Follower:
    """Streams the runs under `root` whose directory name `accept`s (a family folder: its
    members, `family` being its folder) to `trackers`, every `every` seconds."""

    def __init__(self, trackers: list[str], store: Path, root: Path, accept: Callable[[str], bool] = lambda n: True,
                 family: Path | None = None, every: float = POLL_S):
        self.names, self.store, self.root, self.accept, self.every = trackers, store, root, accept, every
        self.family_folder = family
        self.family: Family | None = None
        self.sinks: dict[str, Any] = {}
        self.live: dict[Path, dict[str, Any]] = {}  # run dir -> {"rows": rows sent, "runs": tracker runs}
        self.finished: set[Path] = set()
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="clockspec-log", daemon=True)

    def start(self) -> Follower:
        self.thread.start()
        return self

    def stop(self) -> frozenset[Path]:
        """Stop following, after a last look; the runs streamed to their end (already exported)."""
        if self.thread.is_alive():
            self.stopping.set()
            self.thread.join()
            if self.error is None:
                self._guarded()
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return frozenset(self.finished)

    def _loop(self) -> None:
        while not self.stopping.wait(self.every) and self.error is None:
            self._guarded()

    def _guarded(self) -> None:
        try:
            self.poll()
        except Exception as exc:  # kept for stop(): the training must not die of its tracker
            self.error = exc

    def poll(self) -> None:
        """One look at the files: new rows of the runs in training, and the runs that ended."""
        for run_dir in self._run_dirs():
            if run_dir in self.finished:
                continue
            status = read_json(run_dir / STATUS)
            state = status.get("status") if isinstance(status, dict) else None
            if run_dir not in self.live and state != "running":
                continue  # a finished run found as it is: the final export sends it whole
            self._stream(run_dir, state in FINISHED and (run_dir / CLOCKS).is_file())

    def _run_dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in sorted(self.root.iterdir()) if self.accept(p.name) and not p.is_symlink()
                and (p / STATUS).is_file() and (p / METRICS).is_file()]

    def _stream(self, run_dir: Path, ended: bool) -> None:
        rows = RunDir(run_dir).read_rows()
        live = self.live.get(run_dir)
        if live is not None and (len(rows) < live["rows"]):  # started over (--force): a fresh tracker run
            live = None
        record = read_run(run_dir, *self._member(run_dir))
        if record is None:
            return
        if live is None:
            live = self.live[run_dir] = {"rows": 0, "runs": {}}
            for name in self.names:
                with tracker_errors(name):
                    live["runs"][name] = self._sink(name).open(record)
        new = timed_rows(record, rows[live["rows"]:])
        for name, run in live["runs"].items():
            with tracker_errors(name):
                run.rows(new)
                if ended:
                    run.finish(record)
        live["rows"] = len(rows)
        if ended:
            self.finished.add(run_dir)
            del self.live[run_dir]

    def _sink(self, name: str) -> Any:
        if name not in self.sinks:
            if self.family_folder is not None and self.family is None:
                self.family = read_family(self.family_folder)
            self.sinks[name] = tracker(name, self.store, self.family)
        return self.sinks[name]

    def _member(self, run_dir: Path) -> tuple[str, str]:
        """(family, label) of a member, from the family's lock (read again until it names the run)."""
        if self.family_folder is None:
            return "", ""
        if self.family is None or run_dir.name not in self.family.labels:
            self.family = read_family(self.family_folder)
        return self.family.name, self.family.labels.get(run_dir.name, "")
