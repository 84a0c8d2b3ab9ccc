"""--log mlflow and --log tensorboard, round trips through the real packages' local stores
(MLflow on a SQLite file, TensorBoard event files), read back with their own readers."""
from __future__ import annotations

import json

import pytest

from clockspec.commands.main import main
from clockspec.store.objects import data_dir
from tiny import tiny_spec

pytestmark = pytest.mark.slow
mlflow = pytest.importorskip("mlflow")
pytest.importorskip("tensorboard")

SPEC = tiny_spec("log-tiny")


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)  # a SQLite store keeps its artifacts in ./mlruns
    path = tmp_path / "tiny.yaml"
    path.write_text(SPEC)
    return path


def test_mlflow_round_trip_of_an_experiment(spec, tmp_path):
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "-q", "--log", "mlflow"]) == 0
    (run_dir,) = (tmp_path / "runs").glob("log-tiny-*")
    rows = [json.loads(line) for line in (data_dir(run_dir) / "metrics.jsonl").read_text().splitlines()]
    clocks = json.loads((run_dir / "clocks.json").read_text())["clocks"]
    client = mlflow.tracking.MlflowClient()
    (run,) = client.search_runs([client.get_experiment_by_name("log-tiny").experiment_id])
    assert run.data.params["optimizer.lr"] == "0.02" and run.data.params["model.hidden"] == "[16]"
    history = client.get_metric_history(run.info.run_id, "train_loss")
    assert [(m.step, m.value) for m in history] == [(r["step"], r["train_loss"]) for r in rows]
    assert run.data.metrics["clock.memorize"] == clocks["memorize"]["step"]
    assert "clock.perfect" not in run.data.metrics and run.data.tags["clock.perfect"] == "not reached by step 40"
    assert run.data.tags["clock.memorize"] == f"step {clocks['memorize']['step']}"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"curves.png", "spec.lock.yaml", "clocks.json", "status.json"} <= artifacts


def test_a_family_logs_one_run_per_member_under_a_parent(spec, tmp_path, threaded):
    with threaded():
        assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "-q", "--grid", "seed=1,2",
                     "--log", "mlflow", "--log", "tensorboard"]) == 0
    client = mlflow.tracking.MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("log-tiny-grid-seed").experiment_id])
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.data.tags["mlflow.runName"] for r in children) == ["seed=1", "seed=2"]
    assert sorted(r.data.params["seed"] for r in children) == ["1", "2"]
    assert "family.csv" in {a.path for a in client.list_artifacts(parent.info.run_id)}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for member in ("seed-1", "seed-2"):
        (folder,) = (tmp_path / "runs" / "tensorboard" / "log-tiny-grid-seed").glob(member)
        events = EventAccumulator(str(folder))
        events.Reload()
        assert [e.step for e in events.Scalars("train_loss")] == [0, 10, 20, 30, 40]
        assert "clock/memorize" in events.Tags()["scalars"]


def test_a_missing_tracker_is_refused_before_training(spec, tmp_path, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "--log", "mlflow"]) == 2
    assert capsys.readouterr().err.startswith("--log mlflow: error: needs the mlflow package")
    assert not (tmp_path / "runs").exists()
