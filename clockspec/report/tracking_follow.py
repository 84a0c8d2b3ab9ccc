"""Live `--log`: a process beside the training follows the `metrics.jsonl` of the runs being
trained under a folder and sends each new probe row to the trackers as it is written.

Following the files, not the training loop, keeps the trackers off the step: torch-free,
the same whether members train alone, batched, or in worker processes, and needing nothing
from the runtime but the rows it already appends and flushes. The follower is a process of
its own (`Streaming`), so the trackers' imports, databases and clients never hold the
training process's interpreter. A run is followed from the moment its status says
`running`; once it is finished its clocks and artifacts are logged and its tracker run
closed. A tracker's failure stops the streaming (training goes on) and is raised when the
streaming stops, where the final export would meet it too.
"""
from __future__ import annotations

import multiprocessing
import os
import re
import signal
from pathlib import Path
from typing import Any

from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.report.tracking import Family, Timed, read_family, timed_rows
from clockspec.report.tracking_export import tracker, tracker_errors
from clockspec.store.index import read_run
from clockspec.store.objects import data_dir
from clockspec.store.rundir import CLOCKS, FINISHED, METRICS, PLAN, STATUS, RunDir

NICE = 10  # the streaming process's lower priority than the training's
POLL_S = 2.0  # how often the files are looked at: a point reaches the tracker at most this late


class Streaming:
    """The follower's process: `stop()` ends it after a last look and says which runs it
    streamed to their end (or raises the tracker's failure)."""

    def __init__(self, trackers: list[str], store: Path, root: Path, names: str | None = None,
                 family: Path | None = None, every: float = POLL_S):
        context = multiprocessing.get_context("spawn")  # no copy of a process that may hold torch
        self.stopping, (self.results, sender) = context.Event(), context.Pipe(duplex=False)
        self.process = context.Process(target=_follow, name="clockspec-log", daemon=True,
                                       args=(trackers, store, root, names, family, every, self.stopping, sender))
        self.process.start()
        sender.close()

    def stop(self) -> frozenset[Path]:
        self.stopping.set()
        try:
            finished, error = self.results.recv()
        except EOFError:  # the process died without a word (killed)
            finished, error = [], ("RuntimeError", "the --log streaming process ended unexpectedly", "", None)
        self.process.join()
        if error is not None:
            kind, message, where, hint = error
            if kind == "RunError":
                raise RunError(message, where, hint=hint)
            raise RuntimeError(f"--log streaming failed: {message}")
        return frozenset(Path(p) for p in finished)


def _follow(trackers: list[str], store: Path, root: Path, names: str | None, family: Path | None, every: float,
            stopping: Any, results: Any) -> None:
    """The streaming process: look every `every` seconds until told to stop, then once more."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the training's to handle
    if hasattr(os, "nice"):
        os.nice(NICE)  # on busy cores, the training's step goes first; a point may come a little later
    follower = Follower(trackers, store, root, names, family)
    error = None
    try:
        while not stopping.wait(every):
            follower.poll()
        follower.poll()
        follower.close()
    except RunError as exc:
        error = ("RunError", exc.diagnostic.message, exc.diagnostic.file, exc.diagnostic.hint)
    except Exception as exc:
        error = (type(exc).__name__, f"{type(exc).__name__}: {exc}", "", None)
    results.send(([str(p) for p in follower.finished], error))


class Follower:
    """Streams the runs under `root` whose directory name matches `names` (a regular
    expression; None: all, as in a family folder, `family` being its folder) to `trackers`,
    one `poll` at a time."""

    def __init__(self, trackers: list[str], store: Path, root: Path, names: str | None = None,
                 family: Path | None = None):
        self.names, self.store, self.root = trackers, store, root
        self.pattern = re.compile(names) if names is not None else None
        self.family_folder = family
        self.family: Family | None = None
        self.sinks: dict[str, Any] = {}
        self.live: dict[Path, dict[str, Any]] = {}  # run dir -> {"rows": rows sent, "runs": tracker runs}
        self.finished: set[Path] = set()

    def poll(self) -> None:
        """One look at the files: new rows of the runs in training, and the runs that ended."""
        for run_dir in self._run_dirs():
            if run_dir in self.finished:
                continue
            status = read_json(data_dir(run_dir) / STATUS)
            state = status.get("status") if isinstance(status, dict) else None
            if run_dir not in self.live and state != "running":
                continue  # a finished run found as it is: the final export sends it whole
            self._stream(run_dir, state in FINISHED and (run_dir / CLOCKS).is_file())

    def _run_dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in sorted(self.root.iterdir())  # names (views): their training files are their object's
                if (self.pattern is None or self.pattern.fullmatch(p.name)) and not p.is_symlink() and p.is_dir()
                and (data_dir(p) / STATUS).is_file() and (data_dir(p) / METRICS).is_file()]

    def _stream(self, run_dir: Path, ended: bool) -> None:
        size = (data_dir(run_dir) / METRICS).stat().st_size
        live = self.live.get(run_dir)
        if live is not None and size == live["size"] and not ended:
            return  # nothing new since the last look
        rows = RunDir(data_dir(run_dir)).read_rows()
        if live is not None and len(rows) < live["rows"]:  # started over (--force): a fresh tracker run
            live = None
        if live is None:
            live = self._open(run_dir)
            if live is None:
                return
        new = timed_rows(live["record"], rows[live["rows"]:])
        fired = _fired(live["clocks"], new)
        record = read_run(run_dir, *self._member(run_dir)) if ended else None
        for name, run in live["runs"].items():
            with tracker_errors(name):
                run.rows(new)
                for clock, step, when in fired:
                    run.clock(clock, step, when)
                if record is not None:
                    run.finish(record)
        live["rows"], live["size"] = len(rows), size
        if record is not None:
            self.finished.add(run_dir)
            del self.live[run_dir]

    def close(self) -> None:
        """End the tracker runs of runs that stopped without finishing (interrupted, failed):
        they are closed as what their status says, with what they recorded."""
        for run_dir, live in list(self.live.items()):
            record = read_run(run_dir, *self._member(run_dir)) or live["record"]
            for name, run in live["runs"].items():
                with tracker_errors(name):
                    run.finish(record)
            self.finished.add(run_dir)
            del self.live[run_dir]

    def _open(self, run_dir: Path) -> dict[str, Any] | None:
        """A tracker run per tracker for the run in `run_dir` (None while its status is unreadable)."""
        record = read_run(run_dir, *self._member(run_dir))
        if record is None:
            return None
        live = self.live[run_dir] = {"rows": 0, "size": -1, "record": record, "runs": {},
                                     "clocks": _clock_tracker(run_dir)}
        for name in self.names:
            with tracker_errors(name):
                live["runs"][name] = self._sink(name).open(record)
        return live

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


FINAL_ONCE_FIRED = ("first", "enter")  # clocks whose step, once fired, is final (a settle's is provisional)


def _clock_tracker(run_dir: Path) -> Any:
    """The run's clocks followed as the runtime follows them (None when its plan is unreadable)."""
    from pydantic import ValidationError

    from clockspec.clocks import ClockTracker
    from clockspec.ir.spec import Experiment

    plan = read_json(run_dir / PLAN)
    try:
        spec = Experiment.model_validate(plan["spec"])  # type: ignore[index]
    except (KeyError, TypeError, ValidationError):
        return None
    return ClockTracker(spec.clocks, spec.stop)


def _fired(clocks: Any, timed: list[Timed]) -> list[tuple[str, int, float]]:
    """(clock, step, time) of the clocks that fired, for good, at these rows."""
    out = []
    for row, when in timed if clocks is not None else []:
        for name in clocks.update(row):
            step = clocks.fired_step(name)
            if step is not None and clocks.clocks[name].kind in FINAL_ONCE_FIRED:
                out.append((name, step, when))
    return out
