"""Snapshots at clocks: saved at the firing probe, loadable as the model that probe measured,
within their budget; refused for unknown or after-the-run clocks; hashed only when asked."""
from __future__ import annotations

import json

import pytest
import torch

from clockspec import compile, loads
from clockspec.commands.main import main
from clockspec.core.errors import RunError, SpecError
from clockspec.runtime import load_model
from clockspec.runtime.tasks import build_task
from clockspec.store.objects import data_dir
from clockspec.store.snapshots import Snapshot, _within_budget, list_snapshots
from tiny import tiny_spec

torch.set_num_threads(1)

SPEC = tiny_spec("snap-tiny", steps=60, clocks="  steady: settle train_acc within 50% for 20 steps\n",
                 tail="snapshots: {at: [memorize, steady, perfect], every: 20, keep: 4}\n")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("snap")
    (folder / "snap.yaml").write_text(SPEC)
    assert main(["run", str(folder / "snap.yaml"), "--out", str(folder / "runs"), "-q"]) == 0
    (found,) = (folder / "runs").glob("snap-tiny-*")
    return found


def test_saved_at_the_firing_probe_and_loadable_as_that_model(run_dir):
    clocks = json.loads((run_dir / "clocks.json").read_text())["clocks"]
    snaps = list_snapshots(run_dir)
    by_reason = {r: s for s in snaps for r in s.reasons}
    memorize = clocks["memorize"]["step"]
    assert by_reason["memorize"].step == memorize and by_reason["memorize"].clock_steps == {"memorize": memorize}
    assert "perfect" not in by_reason  # it never fired: no snapshot
    # the loaded model is the one the probe at that step measured
    rows = {r["step"]: r for r in map(json.loads, (data_dir(run_dir) / "metrics.jsonl").read_text().splitlines())}
    model = load_model(run_dir, memorize)
    data = build_task(compile(loads(SPEC)).spec.task)
    with torch.no_grad():
        acc = (model(data.x_train).argmax(1) == data.y_train).float().mean().item()
    assert acc == pytest.approx(rows[memorize]["train_acc"], abs=1e-6)
    assert not (data_dir(run_dir) / "checkpoint.pt").exists()  # the run finished; its snapshots stay


def test_an_online_settle_snapshot_holds_the_probe_where_it_provisionally_settled(run_dir):
    (steady,) = [s for s in list_snapshots(run_dir) if "steady" in s.reasons]
    assert steady.clock_steps["steady"] <= steady.step  # settled at a step it could know only later


def test_the_budget_keeps_at_most_keep_clock_ones_last(run_dir):
    snaps = list_snapshots(run_dir)
    assert len(snaps) <= 4 and sorted(p.name for p in (data_dir(run_dir) / "snapshots").glob("*.pt")) == \
        sorted(s.file for s in snaps)
    made = [Snapshot(0, "a", 10, ["every"]), Snapshot(10, "b", 10, ["fit"]), Snapshot(20, "c", 10, ["every"]),
            Snapshot(30, "d", 10, ["every"])]
    assert [s.step for s in _within_budget(made, keep=2, budget_bytes=None)] == [10, 30]
    assert [s.step for s in _within_budget(made, keep=10, budget_bytes=25)] == [10, 30]
    assert [s.step for s in _within_budget(made, keep=10, budget_bytes=5)] == []


def test_runs_lists_the_snapshots(run_dir, capsys):
    assert main(["runs", str(run_dir), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["snapshots"] == [s.step for s in list_snapshots(run_dir)]


def test_load_model_names_the_steps_there_are(run_dir):
    with pytest.raises(RunError, match="there are snapshots at steps"):
        load_model(run_dir, 7)


@pytest.mark.parametrize("snapshots, message", [
    ("{at: [memorise]}", "snapshots.at names unknown clock 'memorise'"),
    ("{at: [late]}", "clock 'late' is decided only from the whole run"),
    ("{keep: 0}", "snapshots.keep: expected a whole number in [1, 10000]"),
])
def test_bad_snapshots_are_refused(snapshots, message):
    text = SPEC.split("snapshots:")[0] + "  late: last train_acc >= 0.5\nsnapshots: " + snapshots + "\n"
    with pytest.raises(SpecError) as exc:
        loads(text)
    assert message in str(exc.value)


def test_hashed_only_when_present():
    without = loads(SPEC.split("snapshots:")[0])
    train = [n for n in compile(without).nodes.values() if n.stage == "train"][0]
    assert "snapshots" not in train.data
    assert compile(loads(SPEC)).train_hash != compile(without).train_hash
    assert loads(SPEC.replace("snapshots:", "# snapshots:")) == without
