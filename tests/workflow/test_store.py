"""One store: a program trained once whatever names ask for it, views onto it, `gc`,
and a store of the previous layout read and converted without retraining."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from clockspec.commands.main import main
from clockspec.store.objects import OBJECTS, data_dir, read_view
from tiny import tiny_spec

LEGACY = Path(__file__).parent.parent / "fixtures" / "store" / "legacy"  # written by the code before this store


def _objects(store: Path) -> list[str]:
    return sorted(p.name for p in (store / OBJECTS).iterdir() if p.is_dir()) if (store / OBJECTS).is_dir() else []


def _programs(capsys, store: Path) -> list[dict]:
    capsys.readouterr()
    assert main(["runs", str(store), "--format", "csv"]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_a_program_asked_for_under_four_names_trains_once(tmp_path, capsys, threaded):
    (tmp_path / "a.yaml").write_text(tiny_spec("st-a"))
    (tmp_path / "b.yaml").write_text(tiny_spec("st-b"))  # another name, the same program
    store = tmp_path / "runs"
    assert main(["run", str(tmp_path / "a.yaml"), "--out", str(store), "-q"]) == 0
    assert main(["run", str(tmp_path / "b.yaml"), "--out", str(store)]) == 0
    assert "reused the finished run" in capsys.readouterr().out
    with threaded():
        assert main(["run", str(tmp_path / "a.yaml"), "--out", str(store), "--grid", "seed=0,1", "--jobs", "1"]) == 0
    assert "seed-0 (seed=0): complete at step 40 (reused)" in capsys.readouterr().err
    (trained, seed1) = sorted(_objects(store), key=lambda h: h != data_dir(next(store.glob("st-a-*"))).name)
    rows = _programs(capsys, store)
    assert len(rows) == 2 and len(_objects(store)) == 2
    (row,) = [r for r in rows if r["hash"] == trained[:12]]
    assert row["names"].split() == ["st-a", "st-b", "st-a-grid-seed/seed-0"]
    assert int(row["memorize"]) > 0 and row["memorize_censored"] == "0"  # numbers, censoring apart
    assert row["perfect"] == "40" and row["perfect_censored"] == "1" and row["steps"] == "40"


def test_two_processes_asking_for_one_program_train_it_once(tmp_path):
    for name in ("p-one", "p-two"):
        (tmp_path / f"{name}.yaml").write_text(tiny_spec(name, steps=200))
    command = [shutil.which("clockspec"), "run", "--out", "runs", "--wait"]
    first = subprocess.Popen([*command, "p-one.yaml"], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    while not _objects(tmp_path / "runs") and first.poll() is None:  # until the first holds the program's object
        time.sleep(0.05)
    second = subprocess.run([*command, "p-two.yaml"], cwd=tmp_path, capture_output=True, text=True)
    out_first, _ = first.communicate()
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "trained steps 0..200" in out_first and "reused the finished run" in second.stdout
    assert len(_objects(tmp_path / "runs")) == 1


def test_gc_lists_then_removes_what_no_name_needs(tmp_path, capsys):
    for name, seed in (("g-kept", 0), ("g-gone", 1)):
        (tmp_path / f"{name}.yaml").write_text(tiny_spec(name, head=f"seed: {seed}\n"))
        assert main(["run", str(tmp_path / f"{name}.yaml"), "--out", str(tmp_path / "runs"), "-q"]) == 0
    store = tmp_path / "runs"
    kept, gone = (data_dir(next(store.glob(f"g-{n}-*"))) for n in ("kept", "gone"))
    (tmp_path / "looser.yaml").write_text(tiny_spec("g-kept").replace("train_acc >= 0.5", "train_acc >= 0.4"))
    assert main(["run", str(tmp_path / "looser.yaml"), "--out", str(store), "-q"]) == 0  # a second clock set
    assert main(["run", str(tmp_path / "g-kept.yaml"), "--out", str(store), "-q"]) == 0  # shown again: the first
    (kept / "checkpoint.pt").write_bytes(b"left by a killed process")
    shutil.rmtree(next(store.glob("g-gone-*")))  # its only name deleted
    stray = store / ".objects" / f".{'e' * 64}.lock"  # its object removed by hand
    stray.write_text("{}")
    capsys.readouterr()
    assert main(["gc", "--out", str(store)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed[:-1]] == ["garbage"] * 4 and "remove with clockspec gc --yes" in listed[-1]
    assert any(stray.name in line and "the lock of a program no longer stored" in line for line in listed)
    assert any(str(gone) in line and "no name points at it" in line for line in listed)
    assert any("checkpoint.pt" in line and "24 B" in line for line in listed)
    assert any("a clock set no name shows" in line for line in listed)
    assert gone.is_dir() and (kept / "checkpoint.pt").is_file()  # a dry run removes nothing
    assert main(["gc", "--out", str(store), "--yes"]) == 0
    assert "freed" in capsys.readouterr().out
    assert _objects(store) == [kept.name] and not (kept / "checkpoint.pt").exists()
    assert sorted(p.name for p in (store / ".objects").glob(".*.lock")) == [f".{kept.name}.lock"]
    assert not list((kept / "clocks").glob("*"))
    assert main(["run", str(tmp_path / "g-kept.yaml"), "--out", str(store)]) == 0
    assert "reused" in capsys.readouterr().out
    assert main(["gc", "--out", str(store)]) == 0
    assert capsys.readouterr().out.startswith("nothing to remove")


@pytest.fixture
def legacy(tmp_path) -> Path:
    shutil.copytree(LEGACY, tmp_path / "old")
    return tmp_path / "old"


def test_a_store_of_the_previous_layout_is_read_then_converted_never_retrained(legacy, capsys, threaded):
    store = legacy / "store"
    metrics = {p.parent.name: p.read_bytes() for p in store.rglob("metrics.jsonl")}
    assert len(_programs(capsys, store)) == 3  # read as it is: three folders, each its own copy
    assert main(["migrate", "--out", str(store)]) == 0
    said = capsys.readouterr().out
    assert "3 run directories of the previous layout" in said and "already holds this program" in said
    assert len(_objects(store)) == 2
    views = [p.parent for p in store.rglob("view.json")]
    assert len(views) == 3 and all(read_view(v) for v in views)
    assert [p for p in store.rglob("status.json") if OBJECTS not in p.parts] == []
    for view in views:
        assert (data_dir(view) / "metrics.jsonl").read_bytes() == metrics[view.name]
    rows = _programs(capsys, store)
    assert sorted(r["names"] for r in rows) == ["leg leg-grid-seed/seed-0", "leg-grid-seed/seed-1"]
    assert main(["run", str(legacy / "leg.yaml"), "--out", str(store)]) == 0
    assert "reused the finished run" in capsys.readouterr().out
    with threaded():
        assert main(["run", str(legacy / "leg.yaml"), "--out", str(store), "--grid", "seed=0,1"]) == 0
    assert "2 skipped" in capsys.readouterr().out
    assert main(["migrate", "--out", str(store)]) == 0
    assert capsys.readouterr().out.startswith("nothing to migrate")


def test_run_converts_the_old_folder_it_needs(legacy, capsys):
    store = legacy / "store"
    old = next(store.glob("leg-*"))
    rows = (old / "metrics.jsonl").read_bytes()
    assert main(["run", str(legacy / "leg.yaml"), "--out", str(store)]) == 0
    assert "reused the finished run" in capsys.readouterr().out
    assert read_view(old) is not None and (data_dir(old) / "metrics.jsonl").read_bytes() == rows
    assert json.loads((old / "clocks.json").read_text())["status"] == "complete"
