"""`clockspec run` on the command line: output, exit status, and no torch when a finished run is reused."""
import subprocess
import sys

import pytest
import torch

from clockspec.commands.main import main
from tiny import tiny_spec

torch.set_num_threads(1)

SPEC = tiny_spec("cli-tiny", steps=60)


def test_run_prints_the_clocks_then_reuses(tmp_path, capsys):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "runs"
    assert main(["run", str(spec), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "cli-tiny: trained steps 0..60" in text and "status: complete at step 60" in text
    assert "memorize  step" in text and "perfect   not reached (last" in text and "curves.png" in text
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    (run_dir,) = out.glob("cli-tiny-*")
    assert capsys.readouterr().out == f"{run_dir}\n"
    assert main(["run", str(spec), "--out", str(out)]) == 0
    assert "reused the finished run" in capsys.readouterr().out


def test_a_diverged_run_exits_1(tmp_path, capsys):
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.replace("lr: 0.02", "lr: 1000").replace("kind: adamw", "kind: sgd")
                    .replace("{kind: embed_mlp, embed_dim: 8", "{kind: embed_mlp, init_scale: 50, embed_dim: 8"))
    assert main(["run", str(spec), "--out", str(tmp_path)]) == 1
    assert "status: diverged at step" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--device", "cuda:7"], "--device: error: device 'cuda:7'"),
    (["--device", "tpu"], "--device: error: device 'tpu' is not one of"),
])
def test_bad_devices_exit_2_without_a_traceback(tmp_path, capsys, args, message):
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    assert main(["run", str(spec), "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and "Traceback" not in err and ":1:1:" not in err


def test_a_family_runs_its_members(tmp_path, capsys):
    spec = tmp_path / "fam.yaml"
    spec.write_text("family: f\nbase:\n" + "".join(f"  {line}\n" for line in SPEC.splitlines())
                    + "vary:\n  grid:\n    seed: [0, 1]\n")
    assert main(["run", str(spec), "--out", str(tmp_path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("family f: 2 members (2 complete)") and (tmp_path / "f" / "family.csv").exists()


def test_reusing_a_finished_run_does_not_import_torch(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    assert main(["run", str(spec), "--out", str(tmp_path), "--quiet"]) == 0
    code = (f"import sys; from clockspec.commands.main import main; assert main(['run', {str(spec)!r}, '--out', {str(tmp_path)!r}, "
            "'--quiet']) == 0; assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
