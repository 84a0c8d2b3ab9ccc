"""The run lock: one process per run directory, the others told who holds it or waiting for
it; a lock dies with its holder (issue 8, item 5)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from clockspec.core.errors import RunError
from clockspec.store.lock import BUSY, claim, forget, held, lock_path


def test_a_second_claim_is_refused_naming_the_holder(tmp_path):
    rd = tmp_path / "runs" / "exp-123"
    with claim(rd), pytest.raises(RunError) as info, claim(rd):
        pass
    assert info.value.exit_status == BUSY == 75
    assert f"pid {os.getpid()} on host" in str(info.value) and "since" in str(info.value)
    with claim(rd):  # released on exit: claimed again at once
        pass


def test_the_holder_s_progress_is_part_of_the_message(tmp_path):
    rd = tmp_path / "exp-123"
    rd.mkdir()
    (rd / "status.json").write_text('{"status": "running", "step": 300, "steps": 2000}')
    with claim(rd), pytest.raises(RunError, match="at step 300 of 2,000"), claim(rd):
        pass


def test_a_waiter_is_told_who_it_waits_for_and_gets_the_lock_when_it_is_free(tmp_path):
    rd = tmp_path / "exp"
    told, order = [], []
    with claim(rd):
        def waiter():
            with claim(rd, wait=True, on_wait=told.append):
                order.append("waiter")
        thread = threading.Thread(target=waiter)
        thread.start()
        _until(lambda: told)  # the waiter found the lock taken
        order.append("holder done")
    thread.join(10)
    assert order == ["holder done", "waiter"]
    assert told[0].startswith(f"pid {os.getpid()}")


def test_a_waiter_on_a_lock_file_removed_by_its_holder_locks_the_new_one(tmp_path):
    """`gc` removes an object's lock file while holding it; whoever waited on the old file
    must not go on holding a file that is no longer there (a newcomer would lock another)."""
    rd = tmp_path / "obj"
    seen, told = [], []
    with claim(rd):
        def waiter():
            with claim(rd, wait=True, on_wait=told.append):
                seen.append((lock_path(rd).exists(), held(rd)))
        thread = threading.Thread(target=waiter)
        thread.start()
        _until(lambda: told)
        forget(rd)
    thread.join(10)
    assert seen == [(True, True)]


def _until(condition, tries: int = 10_000) -> None:
    """Wait for the program's own state (not for a time)."""
    for _ in range(tries):
        if condition():
            return
        time.sleep(0.001)
    raise AssertionError("never reached")


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    rd = tmp_path / "exp"
    code = (f"import sys, time; from clockspec.store.lock import claim\n"
            f"with claim(__import__('pathlib').Path({str(rd)!r})):\n"
            f"    print('held', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(RunError, match=f"pid {holder.pid} "), claim(rd):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock_path(rd).exists()  # the file stays; the kernel lock went with its process
    with claim(rd):
        pass


def test_an_unusable_output_directory_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(RunError, match="cannot use the output directory: Not a directory") as info:
        with claim(tmp_path / "file" / "runs" / "exp"):
            pass
    assert info.value.exit_status == 3 and "--out" in info.value.diagnostic.hint
