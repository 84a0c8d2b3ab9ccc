"""--log mlflow|tensorboard|wandb, round trips through the real packages' local stores (MLflow
on a SQLite file, TensorBoard event files, W&B offline run files), read back with their own
readers (W&B's offline `.wandb` file with its record protocol buffers)."""
from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from clockspec.commands.main import main
from clockspec.store.objects import data_dir
from tiny import tiny_spec

pytestmark = pytest.mark.slow
mlflow = pytest.importorskip("mlflow")
pytest.importorskip("tensorboard")
pytest.importorskip("wandb")

SPEC = tiny_spec("log-tiny", tail="tags: [first]\ndescription: before\n")
ALL = ["--log", "mlflow", "--log", "tensorboard", "--log", "wandb"]


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)  # a SQLite store keeps its artifacts in ./mlruns
    path = tmp_path / "tiny.yaml"
    path.write_text(SPEC)
    return path


def rows_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (data_dir(run_dir) / "metrics.jsonl").read_text().splitlines()]


def mlflow_runs(name: str) -> list:
    client = mlflow.tracking.MlflowClient()
    return client.search_runs([client.get_experiment_by_name(name).experiment_id])


def scalars(folder: Path, tag: str) -> list:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return events.Scalars(tag) if tag in events.Tags()["scalars"] else []


def wandb_records(store: Path) -> list:
    """The records of the one offline W&B run under `store` (its LevelDB-style log: a 7-byte
    header, then 32 KiB blocks of chunks, each with a 7-byte header: crc, length, type)."""
    from wandb.proto import wandb_internal_pb2

    (path,) = (store / "wandb").glob("offline-run-*/run-*.wandb")
    data, pos, part, out = path.read_bytes(), 7, b"", []
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7]) if left >= 7 else (0, 0, 0)
        if kind == 0:  # the padding at a block's end
            pos += left
            continue
        part, pos = part + data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind in (1, 4):  # a whole record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(part)
            out.append(record)
            part = b""
    return out


def wandb_history(store: Path) -> list[dict]:
    return [{item.key or ".".join(item.nested_key): json.loads(item.value_json) for item in r.history.item}
            for r in wandb_records(store) if r.WhichOneof("record_type") == "history"]


def wandb_summary(store: Path) -> dict:
    out = {}
    for r in wandb_records(store):
        if r.WhichOneof("record_type") == "summary":
            out.update({u.key or ".".join(u.nested_key): json.loads(u.value_json) for u in r.summary.update})
    return out


def test_a_run_exported_twice_is_one_tracker_run_with_one_point_per_probe(spec, tmp_path):
    out = tmp_path / "runs"
    assert main(["run", str(spec), "--out", str(out), "-q", *ALL]) == 0
    spec.write_text(SPEC.replace("[first]", "[second]").replace("before", "after"))  # metadata only: reused
    assert main(["run", str(spec), "--out", str(out), "-q", *ALL]) == 0
    (run_dir,) = out.glob("log-tiny-*")
    rows = rows_of(run_dir)
    times = {t["step"]: t["time"] for t in map(json.loads, (data_dir(run_dir) / "times.jsonl").read_text().splitlines())}
    clocks = json.loads((run_dir / "clocks.json").read_text())["clocks"]

    (run,) = mlflow_runs("log-tiny")
    client = mlflow.tracking.MlflowClient()
    history = client.get_metric_history(run.info.run_id, "train_loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (r["step"], r["train_loss"], int(times[r["step"]] * 1000)) for r in rows]
    assert run.data.metrics["clock.memorize"] == clocks["memorize"]["step"]
    assert "clock.perfect" not in run.data.metrics and run.data.metrics["clock.perfect.censored_at"] == 40
    assert run.data.tags["clock.perfect"] == "not reached by step 40"
    assert run.data.tags["mlflow.note.content"] == "after"
    assert "clockspec.tag.second" in run.data.tags and "clockspec.tag.first" not in run.data.tags
    assert run.data.params["optimizer.lr"] == "0.02" and run.data.params["model.hidden"] == "[16]"
    assert {"curves.png", "spec.lock.yaml", "clocks.json", "status.json"} <= {
        a.path for a in client.list_artifacts(run.info.run_id)}
    # a censored clock is kept by a numeric filter on its censoring step
    assert len(client.search_runs([run.info.experiment_id], "metrics.`clock.perfect.censored_at` >= 40")) == 1

    (folder,) = (out / "tensorboard").glob("log-tiny-*")
    assert len(list(folder.glob("events.out.tfevents.*"))) == 1
    points = scalars(folder, "train_loss")
    assert [(p.step, p.wall_time) for p in points] == [(r["step"], pytest.approx(times[r["step"]])) for r in rows]
    assert [p.value for p in scalars(folder, "clock/perfect/censored_at")] == [40]

    assert len(list((out / "wandb").glob("offline-run-*"))) == 1
    history = wandb_history(out)
    assert [(h["_step"], h["train_loss"], h["_timestamp"]) for h in history] == [
        (r["step"], pytest.approx(r["train_loss"]), pytest.approx(times[r["step"]])) for r in rows]
    summary = wandb_summary(out)
    assert summary["clock.memorize"] == clocks["memorize"]["step"] and summary["clock.perfect.censored_at"] == 40
    (start,) = [r.run for r in wandb_records(out) if r.WhichOneof("record_type") == "run"]
    assert start.notes == "after" and list(start.tags) == ["second"] and start.run_id == run.data.tags["clockspec.key"]


def test_a_family_streams_members_under_a_parent_with_hparams(spec, tmp_path, threaded):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    with threaded():
        assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "-q", "--grid", "seed=1,2",
                     "--log", "mlflow", "--log", "tensorboard"]) == 0
    runs = mlflow_runs("log-tiny-grid-seed")
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.data.tags["clockspec.member"] for r in children) == ["seed=1", "seed=2"]
    assert {r.data.tags["clockspec.family"] for r in children} == {"log-tiny-grid-seed"}
    assert sorted(r.data.params["seed"] for r in children) == ["1", "2"]
    assert parent.data.params["seed"] == "[1, 2]"
    artifacts = {a.path for a in mlflow.tracking.MlflowClient().list_artifacts(parent.info.run_id)}
    assert {"family.csv", "tiny.yaml"} <= artifacts
    root = tmp_path / "runs" / "tensorboard" / "log-tiny-grid-seed"
    for member, seed in (("seed-1", 1), ("seed-2", 2)):
        assert [e.step for e in scalars(root / member, "train_loss")] == [0, 10, 20, 30, 40]
        events = EventAccumulator(str(root / member))
        events.Reload()
        data = plugin_data_pb2.HParamsPluginData.FromString(
            events.PluginTagToContent("hparams")["_hparams_/session_start_info"])
        assert data.session_start_info.hparams["seed"].number_value == seed
    declared = EventAccumulator(str(root), size_guidance={"tensors": 0})
    declared.Reload()
    experiment = plugin_data_pb2.HParamsPluginData.FromString(
        declared.PluginTagToContent("hparams")["_hparams_/experiment"]).experiment
    assert [h.name for h in experiment.hparam_infos] == ["seed"]
    assert {m.name.tag for m in experiment.metric_infos} == {"clock/memorize", "clock/perfect"}


def test_points_reach_the_trackers_while_the_run_trains(spec, tmp_path):
    """The follower, looked at step by step: a run directory whose rows grow as training
    writes them, seen first by the streaming process (its last look), then by a follower."""
    from clockspec.report.tracking_follow import Follower, Streaming

    done = tmp_path / "done"
    assert main(["run", str(spec), "--out", str(done), "-q"]) == 0
    (view,) = done.glob("log-tiny-*")
    finished = data_dir(view)  # the trained program's files, laid out as one run directory here
    store = tmp_path / "live"
    run_dir = store / view.name
    shutil.copytree(finished, run_dir)
    lines = (finished / "metrics.jsonl").read_text().splitlines(keepends=True)
    status = json.loads((finished / "status.json").read_text())
    (run_dir / "clocks.json").unlink()
    (run_dir / "metrics.jsonl").write_text("".join(lines[:2]) + lines[2][:9])  # and a torn line, mid-write
    (run_dir / "status.json").write_text(json.dumps({**status, "status": "running", "step": 10}))

    streaming = Streaming(["mlflow", "tensorboard"], store, store, names="log-tiny-[0-9a-f]+", every=600)
    assert streaming.stop() == {run_dir}  # stopped while the run had not finished: closed as it stood
    (run,) = mlflow_runs("log-tiny")
    client = mlflow.tracking.MlflowClient()
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [0, 10]
    assert [p.step for p in scalars(store / "tensorboard" / view.name, "train_loss")] == [0, 10]

    (run_dir / "metrics.jsonl").write_text("".join(lines[:3]))
    follower = Follower(["mlflow", "tensorboard", "wandb"], store, store)
    follower.poll()  # still running: the points so far, added to the tracker run made before
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [0, 10, 20]
    assert follower.finished == set()

    fired = json.loads((finished / "clocks.json").read_text())["clocks"]["memorize"]["step"]
    (run_dir / "metrics.jsonl").write_text("".join(lines[:fired // 10 + 1]))  # up to the probe where it fires
    follower.poll()
    assert client.get_run(run.info.run_id).data.metrics["clock.memorize"] == fired  # while still running
    assert [p.step for p in scalars(store / "tensorboard" / view.name, "clock/memorize")] == [fired]

    (run_dir / "metrics.jsonl").write_text("".join(lines))
    shutil.copy(finished / "clocks.json", run_dir / "clocks.json")
    (run_dir / "status.json").write_text(json.dumps(status))
    follower.poll()
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [0, 10, 20, 30, 40]
    assert len(client.get_metric_history(run.info.run_id, "clock.memorize")) == 1
    assert [p.step for p in scalars(store / "tensorboard" / view.name, "train_loss")] == [0, 10, 20, 30, 40]
    assert len(scalars(store / "tensorboard" / view.name, "clock/memorize")) == 1  # not again at the end
    assert [h["_step"] for h in wandb_history(store)] == [0, 10, 20, 30, 40]
    assert follower.finished == {run_dir}


def test_a_tracking_server_that_does_not_answer_is_refused_before_training(spec, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")  # nothing listens on port 1
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "--log", "mlflow"]) == 3
    err = capsys.readouterr().err
    assert "the tracking server http://127.0.0.1:1 does not answer within 5 s" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_a_missing_tracker_is_refused_before_training(spec, tmp_path, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "--log", "wandb"]) == 2
    assert capsys.readouterr().err.startswith("--log wandb: error: needs the wandb package")
    assert not (tmp_path / "runs").exists()
