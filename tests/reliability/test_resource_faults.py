"""The environment failing under a run: a read-only or full output directory, a device that
is not there, a write that fails while status.json must still be told (issue 8, item 6).

Faults are real where the machine allows: as root, a read-only and a tiny tmpfs are mounted
(ENOSPC, EROFS); otherwise a directory without write permission and RLIMIT_FSIZE (EFBIG).
"""
from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from clockspec.commands.main import main
from clockspec.core.fileio import read_json
from clockspec.store.rundir import STATUS, RunDir
from tests.reliability.kit import assert_same_result, clockspec, run_dir


def _mount(path: Path, options: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True)


@pytest.fixture
def readonly_dir(tmp_path):
    path = tmp_path / "ro"
    mounted = _mount(path, "ro,size=64k")
    if not mounted:
        path.chmod(0o555)
    yield path
    if mounted:
        _umount(path)


class FullDisk:
    """A place whose disk fills up after about 40 KB; `lift()` frees it."""

    def __init__(self, path: Path):
        self.path = path
        self.mounted = _mount(path, "size=40k")
        self.limited = not self.mounted

    def run(self, *args: str, cwd: Path):
        def small_files() -> None:  # without a tmpfs: files may not grow past 30 KB
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))
        return clockspec(*args, cwd=cwd, preexec_fn=small_files if self.limited else None)

    def lift(self) -> None:
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,size=4m", str(self.path)], check=True)
        self.limited = False

    def close(self) -> None:
        if self.mounted:
            _umount(self.path)


@pytest.fixture
def full_disk(tmp_path):
    disk = FullDisk(tmp_path / "disk")
    yield disk
    disk.close()


def test_a_read_only_output_directory_is_a_clear_error_and_nothing_is_written(tmp_path, spec_file, readonly_dir):
    spec_file()
    done = clockspec("run", "k.yaml", "--out", str(readonly_dir / "runs"), cwd=tmp_path)
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert f"{readonly_dir / 'runs'}: error: cannot use the output directory: " in done.stderr
    assert ("Read-only file system" in done.stderr) or ("Permission denied" in done.stderr)
    assert "hint: choose a writable --out" in done.stderr
    assert list(readonly_dir.iterdir()) == []


@pytest.mark.slow
def test_a_full_disk_fails_the_run_clearly_and_resume_completes_it(tmp_path, spec_file, full_disk, reference):
    spec_file()
    args = ("run", "k.yaml", "--out", str(full_disk.path / "runs"), "--checkpoint-every", "0")
    failed = full_disk.run(*args, cwd=tmp_path)
    assert failed.returncode == 3, failed.stderr
    assert "Traceback" not in failed.stderr
    why = "No space left on device" if full_disk.mounted else "File too large"
    assert "error: cannot write " in failed.stderr and why in failed.stderr
    assert "hint: free some space, then clockspec run --resume continues from the last checkpoint" in failed.stderr
    rd = run_dir(full_disk.path / "runs")
    status = json.loads((rd / "status.json").read_text())
    assert status["status"] == "failed" and why in status["reason"]
    full_disk.lift()
    done = clockspec(*args, "--resume", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_same_result(rd, reference())


def test_status_is_recorded_even_when_no_new_file_fits(tmp_path, monkeypatch):
    rd = RunDir(tmp_path / "exp")
    rd.write_json(STATUS, {"status": "running", "step": 1200, "steps": 5000, "device": "cpu", "reason": ""})

    def disk_full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("clockspec.store.rundir.write_atomic", disk_full)
    doc = {**read_json(rd / STATUS), "status": "failed", "reason": "cannot write metrics.jsonl: No space left"}
    assert rd.record_status(doc)
    assert json.loads((rd / STATUS).read_text()) == doc  # rewritten in place, padded, still JSON
    assert not rd.record_status({**doc, "reason": "x" * 10_000})  # more than its blocks hold: says so


def test_a_missing_device_is_a_usage_error_that_writes_nothing(tmp_path, spec_file, capsys):
    spec = spec_file()
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "--device", "cuda:63"]) == 2
    err = capsys.readouterr().err
    assert "--device" in err and ("not available" in err or "does not exist" in err) and "Traceback" not in err
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [".objects"]  # no view
    left = [p.name for p in (tmp_path / "runs" / ".objects").iterdir()]
    assert len(left) == 1 and left[0].startswith(".") and left[0].endswith(".lock")  # no object, only its lock
