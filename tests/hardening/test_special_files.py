"""Class 5 of issue 20: special files are refused without blocking; file names cannot forge lines.

The check runs in a subprocess with a timeout, so a regression that blocks on a FIFO fails
the test instead of hanging the suite.
"""
import os
import subprocess
import sys

import pytest

import clockspec
from clockspec.commands.main import main
from clockspec.syntax.loading import read_file

SPEC = "name: a\ntask: {kind: modular}\nmodel: {kind: embed_mlp}\n"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")


def check(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clockspec.commands.main", "check", *paths],
                          capture_output=True, text=True, timeout=60)


@needs_fifo
def test_check_on_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    done = check(str(fifo))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == f"{fifo}:1:1: error: is a FIFO (named pipe), not a regular file; a spec is read only from a regular file\n"


@needs_fifo
def test_a_family_base_that_is_a_fifo_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "b.yaml")
    (tmp_path / "f.yaml").write_text("family: f\nbase: b.yaml\nvary: {grid: {seed: [1, 2]}}\n")
    done = check(str(tmp_path / "f.yaml"))
    assert done.returncode == 2 and "b.yaml:1:1: error: is a FIFO" in done.stderr


@pytest.mark.parametrize("path,what", [("/dev/null", "a device"), ("/dev/zero", "a device")])
def test_devices_are_refused(path, what):
    if not os.path.exists(path):
        pytest.skip(f"no {path}")
    with pytest.raises(clockspec.SpecError, match=f"is {what}, not a regular file"):
        read_file(path)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(clockspec.SpecError, match="is a directory, not a regular file"):
        read_file(tmp_path)


def test_a_file_name_with_a_newline_cannot_forge_an_output_line(tmp_path, capsys):
    forged = tmp_path / "x.yaml\nok.yaml:1:1: error: forged"
    forged.write_text("name: [\n")
    assert main(["check", str(forged)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "x.yaml\\nok.yaml" in err


def test_a_valid_file_with_an_escape_in_its_name_prints_one_line(tmp_path, capsys):
    named = tmp_path / "a\x1b[2Jb.yaml"
    named.write_text(SPEC)
    assert main(["check", str(named)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "a\\x1b[2Jb.yaml: ok" in out and len(out.splitlines()) == 1
