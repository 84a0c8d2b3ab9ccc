"""`clockspec runs`, `runs --stale`, `compare`, provenance in status.json and the store's location,
on a store with experiments, a family, a failed and an interrupted run."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from clockspec.commands.main import main
from clockspec.store.location import store_location
from clockspec.store.objects import data_dir
from tiny import tiny_spec

SPEC = tiny_spec("idx-tiny", head="tags: [smoke]\n")


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def store(tmp_path_factory, threaded):
    """A git repo with the spec; a store with two experiments, a --grid family of two, and
    copies of a run made failed and interrupted (as the runtime records them)."""
    repo = tmp_path_factory.mktemp("repo")
    spec = repo / "tiny.yaml"
    spec.write_text(SPEC)
    _git(repo, "init", "-q")
    _git(repo, "add", "tiny.yaml")
    _git(repo, "commit", "-qm", "spec")
    out = repo / "runs"
    assert main(["run", str(spec), "--out", str(out), "-q"]) == 0
    assert main(["run", str(spec), "--out", str(out), "-q", "--set", "optimizer.lr=0.05"]) == 0
    with threaded():
        assert main(["run", str(spec), "--out", str(out), "-q", "--grid", "seed=1,2", "--jobs", "1"]) == 0
    (first,) = [p for p in out.glob("idx-tiny-*/") if (data_dir(p) / "status.json").exists()
                and json.loads((data_dir(p) / "status.json").read_text())["overrides"] == []]
    for status, reason in (("failed", "cannot write: No space left on device"), ("interrupted", "interrupted at step 20"),
                           ("running", "")):
        copy = out / "elsewhere" / f"{status}-run"  # run directories of the previous layout: read as they are
        shutil.copytree(data_dir(first), copy)
        doc = json.loads((copy / "status.json").read_text())
        (copy / "status.json").write_text(json.dumps({**doc, "status": status, "step": 20, "reason": reason}))
    return repo, spec, out, first


def _table(capsys, *args) -> list[dict]:
    assert main(["runs", *args, "--format", "csv"]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_status_records_the_launch(store):
    repo, spec, out, first = store
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    doc = json.loads((data_dir(first) / "status.json").read_text())
    assert doc["git"]["commit"] == head and doc["git"]["dirty"] is False
    assert doc["command"] == ["clockspec", "run", str(spec), "--out", str(out), "-q"] and doc["overrides"] == []
    assert doc["spec_file"] == str(spec) and doc["host"] and doc["device_name"] and doc["torch"] and doc["python"]
    (member,) = [p for p in (out / "idx-tiny-grid-seed").glob("seed-1-*")]
    assert json.loads((data_dir(member) / "status.json").read_text())["overrides"] == ["grid seed=1,2"]


def test_one_row_per_run_families_grouped_clocks_censored(store, capsys):
    _, _, out, _ = store
    rows = _table(capsys, str(out))
    assert sorted(r["status"] for r in rows) == ["complete"] * 4 + ["died", "failed", "interrupted"]
    assert [r["family"] for r in rows][-2:] == ["idx-tiny-grid-seed"] * 2
    assert {"seed", "lr"} <= set(rows[0]) and "train_fraction" not in rows[0]  # only what differs
    assert all(r["perfect"] == r["step"] and r["perfect_censored"] == "1" for r in rows)  # censored at the last step
    assert all(r["memorize"].isdigit() and r["memorize_censored"] == "0" for r in rows if r["status"] == "complete")
    assert main(["runs", str(out)]) == 0
    table = capsys.readouterr().out
    assert ">40" in table and ">" not in "".join(r["perfect"] for r in rows)  # `>N` is for people, not CSV
    assert {r["tags"] for r in rows} == {"smoke"} and all(r["git"] for r in rows)


def test_where_sort_and_formats(store, capsys):
    _, _, out, _ = store
    rows = _table(capsys, str(out), "--where", "status == complete and optimizer.lr > 0.03")
    assert len(rows) == 1 and "lr" not in rows[0]  # one run: nothing differs
    assert json.loads((data_dir(store[2] / f"idx-tiny-{rows[0]['hash']}") / "status.json").read_text())["overrides"] == [
        "optimizer.lr=0.05"]
    rows = _table(capsys, str(out), "--where", "status in [failed, interrupted]", "--sort=-status")
    assert [r["status"] for r in rows] == ["interrupted", "failed"]
    assert len(_table(capsys, str(out), "--where", "clocks.perfect == null and seed == 2")) == 1
    assert main(["runs", str(out), "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert runs[0]["censored"]["perfect"] is True and runs[0]["spec"]["optimizer.lr"] in (0.02, 0.05)
    assert main(["runs", str(out), "--format", "md"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("|---")
    assert main(["runs", str(out)]) == 0
    assert "idx-tiny-grid-seed" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--where", "clocks.memorise < 3"], "--where:1:1: error: no run has a clock 'memorise'\n  hint: did you mean 'memorize'?"),
    (["--where", "stauts == complete"], "--where:1:1: error: 'stauts': an experiment has no field 'stauts'"),
    (["--where", "seed == "], "--where:1:9: error: bad --where condition: it ends too early"),
    (["--sort", "wal"], "--sort:1:1: error: 'wal': an experiment has no field 'wal'"),
])
def test_bad_conditions_point_at_the_argument(store, capsys, args, message):
    assert main(["runs", str(store[2]), *args]) == 2
    assert capsys.readouterr().err.startswith(message)


def test_stale_says_what_has_no_complete_run(store, capsys):
    repo, spec, out, _ = store
    assert main(["runs", "--out", str(out), "--stale", str(spec)]) == 0
    assert ": idx-tiny: up to date" in capsys.readouterr().out
    assert main(["runs", "--out", str(out), "--stale", str(spec), "--set", "seed=9"]) == 1
    assert ": idx-tiny: no run" in capsys.readouterr().out
    family = repo / "fam.yaml"
    family.write_text("family: idx-tiny-grid-seed\nbase: tiny.yaml\nvary: {grid: {seed: [1, 2, 3]}}\n")
    assert main(["runs", "--out", str(out), "--stale", str(family)]) == 1
    text = capsys.readouterr().out
    assert "idx-tiny-grid-seed/seed-1: up to date" in text and "idx-tiny-grid-seed/seed-3: no run" in text


def test_compare_overlays_the_runs_and_says_what_differs(store, tmp_path, capsys):
    _, _, out, _ = store
    runs = sorted(str(p) for p in out.glob("idx-tiny-*") if p.is_dir() and (p / "view.json").exists())
    png = tmp_path / "cmp.png"
    assert main(["compare", *runs, "-o", str(png)]) == 0
    text = capsys.readouterr().out
    assert "1 spec values differ:" in text and "optimizer.lr: " in text and "memorize" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["compare", runs[0]]) == 2
    everything = sorted(str(p) for p in out.glob("idx-tiny-*"))  # as a shell's runs/idx-tiny-* is: a family too
    assert main(["compare", *everything, "-o", str(png)]) == 0
    captured = capsys.readouterr()
    assert "idx-tiny-grid-seed: a family folder; comparing its 2 members" in captured.err
    assert captured.out.startswith("4 runs; ")
    family = next(p for p in everything if p.endswith("idx-tiny-grid-seed"))
    assert main(["compare", family, "-o", str(png)]) == 0  # a family folder alone: its members
    assert capsys.readouterr().out.startswith("2 runs; ")
    assert main(["compare", runs[0], runs[0], runs[1], "-o", str(png)]) == 0  # a run named twice is shown once
    captured = capsys.readouterr()
    assert "the same stored run as" in captured.err and captured.out.startswith("2 runs; ")


def test_a_part_some_runs_lack_shows_its_values_where_they_differ():
    from clockspec.store.index import RunRecord, differing, value_at

    def record(spec):
        return RunRecord(Path("r"), "r", "complete", 1, 1, "h", None, "", "", [], {}, {"seed": 0, **spec})

    off, weak, strong = (record({"regularizers.weight_decay": None}),
                         record({"regularizers.weight_decay.strength": 0.3, "regularizers.weight_decay.kind": "l2"}),
                         record({"regularizers.weight_decay.strength": 1.0, "regularizers.weight_decay.kind": "l2"}))
    (path,) = differing([off, weak, strong])
    assert path == "regularizers.weight_decay.strength"
    assert [value_at(r, path) for r in (off, weak, strong)] == [None, 0.3, 1.0]  # off, 0.3, 1.0: not on, on
    assert differing([off, weak]) == ["regularizers.weight_decay"]  # only present or not: one on/off column


def test_the_store_location(tmp_path, monkeypatch):
    monkeypatch.delenv("CLOCKSPEC_RUNS", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.clockspec]\nruns = 'store'\n")
    (tmp_path / "specs").mkdir()
    assert store_location(None, tmp_path / "specs") == tmp_path / "store"
    assert store_location("mine", tmp_path / "specs") == store_location("mine")
    monkeypatch.setenv("CLOCKSPEC_RUNS", str(tmp_path / "env"))
    assert store_location(None, tmp_path / "specs") == tmp_path / "env"
    monkeypatch.delenv("CLOCKSPEC_RUNS")
    (tmp_path / "pyproject.toml").write_text("[tool.other]\n")
    assert str(store_location(None, tmp_path / "specs")) == "runs"


def _record(name, spec, clocks=None, step=100):
    from pathlib import Path

    from clockspec.store.index import RunRecord

    return RunRecord(Path(name), name, "complete", step, step, "ab" * 32, 1.0, "2026-01-01T00:00:00Z", "", [],
                     clocks or {}, spec)


def test_a_part_some_runs_lack_is_one_on_off_column_and_names_never_clash():
    from clockspec.report.runs_table import rows

    a = _record("a", {"seed": 0, "snapshots": None, "train.steps": 100},
                {"fit": {"step": 40, "reached": True}})
    b = _record("b", {"seed": 1, "snapshots.at": ["fit"], "snapshots.keep": 10, "train.steps": 200},
                {"fit": {"step": None, "reached": False}}, step=200)
    columns, table = rows([a, b])
    assert columns[:6] == ["name", "status", "hash", "seed", "train.steps", "spec.snapshots"]
    assert [(r["spec.snapshots"], r["train.steps"], r["fit"]) for r in table] == [("off", "100", "40"),
                                                                                  ("on", "200", ">200")]


def test_a_running_status_is_running_only_while_a_process_holds_the_run(store):
    from clockspec.store.index import read_run
    from clockspec.store.lock import claim

    copy = store[2] / "elsewhere" / "running-run"
    assert read_run(copy).status == "died"
    with claim(copy):
        assert read_run(copy).status == "running"


def test_a_run_without_its_plan_is_read_from_its_locked_spec(store, tmp_path):
    from clockspec.store.index import read_run

    copy = tmp_path / "copy"
    shutil.copytree(data_dir(store[3]), copy)
    (copy / "plan.json").unlink()
    assert read_run(copy).spec == read_run(store[3]).spec and read_run(copy).spec["optimizer.lr"] == 0.02
