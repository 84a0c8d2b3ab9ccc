"""The Python API from a script without an `if __name__ == "__main__":` guard, from
`python -` and from `python -c` (a main module with no file, as in a notebook's kernel): a family's spawned workers never run the script again, every member completes,
and nothing is charged to attempts.json. A family with a failed member raises, never a
silent success."""
import subprocess
import sys

import pytest

import clockspec
from clockspec.orchestrate import execute
from thread_backend import ThreadBackend
from tiny import tiny_spec

SCRIPT = """\
import clockspec
print("script body ran")
result = clockspec.run("base.yaml", grid={"seed": [0, 1]}, out="runs", jobs=2, batch=False)
print("statuses", sorted(result.status.values()))
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["script", "stdin", "command"])
def test_a_family_from_a_script_without_the_guard(tmp_path, how):
    (tmp_path / "base.yaml").write_text(tiny_spec("noguard"))
    (tmp_path / "go.py").write_text(SCRIPT)
    args, stdin = {"script": ([sys.executable, "go.py"], None), "stdin": ([sys.executable, "-"], SCRIPT),
                   "command": ([sys.executable, "-c", SCRIPT], None)}[how]
    done = subprocess.run(args, input=stdin, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["script body ran", "statuses ['complete', 'complete']"], done.stdout
    folder = tmp_path / "runs" / "noguard-grid-seed"
    assert (folder / "family.csv").is_file() and not (folder / "attempts.json").exists()


def test_a_family_with_a_failed_member_raises_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "LocalBackend", lambda jobs, threads: ThreadBackend(1))
    (tmp_path / "base.yaml").write_text(tiny_spec("fails"))
    with pytest.raises(clockspec.RunError, match=r"1 of 2 members failed \(device-cuda-63: .*not available") as info:
        clockspec.run(tmp_path / "base.yaml", grid={"device": ["cpu", "cuda:63"]}, out=tmp_path / "runs")
    assert info.value.exit_status == 1
