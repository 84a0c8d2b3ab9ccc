"""A tiny real run, then its report: the analysis reads what the runtime writes."""
import json

import torch

import clockspec
from clockspec.commands.main import main

SPEC = """
clockspec: 1
name: tiny-dln
task: {kind: teacher, inputs: 6, classes: 3, rank: 1, train_size: 48, test_size: 48}
model: {kind: deep_linear, depth: 2, width: 8, init_scale: 2.0}
regularizers: {weight_decay: {strength: 0.01, decoupled: false}}
optimizer: {kind: sgd, lr: 0.2}
train: {steps: 600}
probes: {schedule: log, points: 60, metrics: [margin, schatten, balance, weight_norm]}
clocks:
  fit: settle train_loss within 1e-2
  simplify: settle schatten within 1%
"""


def test_a_tiny_run_reports_its_clocks_fits_and_the_predicted_balance_rate(tmp_path, capsys):
    from clockspec.runtime import run

    torch.set_num_threads(1)
    result = run(clockspec.loads(SPEC, "yaml").compile(), out=tmp_path, device="cpu")
    assert result.status == "complete"
    assert main(["report", "--no-plots", str(result.run_dir)]) == 0  # plots: tests/report/test_analysis.py
    report = json.loads((result.run_dir / "report.json").read_text())
    recorded = json.loads((result.run_dir / "clocks.json").read_text())["clocks"]
    for name in ("fit", "simplify"):  # the same clock semantics as the runtime's
        assert report["clocks"][name]["step"] == recorded[name]["step"]
    assert report["energy"] == "schatten" and report["fit_form"] == "settle"
    balance = next(v for v in report["verdicts"] if v["claim"].startswith("balance shrinks"))
    assert balance["status"] == "supported"  # coupled decay under GD: 4 lr lambda per step
    text = (result.run_dir / "report.md").read_text()
    assert "## Verdicts" in text and "tau(eps): " in text
