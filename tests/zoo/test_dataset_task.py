"""The `dataset` task on good and bad files: positioned errors at `path`, the content hash."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import clockspec
from clockspec.core.errors import SpecError
from clockspec.runtime.tasks import build_task

SPEC = """name: ds
task:
  kind: dataset
  path: {path}{extra}
model: {{kind: mlp, hidden: [8]}}
train: {{steps: 20}}
probes: {{every: 10}}
"""


def write_spec(folder, path="data.npz", extra=""):
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(path=path, extra=extra))
    return spec


def compile_error(spec) -> str:
    with pytest.raises(SpecError) as info:
        clockspec.load(spec).compile()
    return str(info.value)


def test_a_split_npz_is_read_as_its_train_and_test_sets(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", x_train=rng.normal(size=(30, 2, 2)), y_train=np.arange(30) % 3,
             x_test=rng.normal(size=(10, 2, 2)), y_test=np.arange(10) % 3)
    plan = clockspec.load(write_spec(tmp_path)).compile()
    assert (plan.derived["input_dim"], plan.derived["output_dim"], plan.derived["n_train"]) == (4, 3, 30)
    data = build_task(plan.spec.task)
    assert torch.equal(data.y_test, torch.arange(10) % 3) and data.x_train.shape == (30, 4)


def test_one_set_is_split_by_its_seed_and_subset(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.arange(200.0).reshape(100, 2), y=np.arange(100) % 2)
    spec = write_spec(tmp_path, extra="\n  test_fraction: 0.25\n  train_subset: 40")
    plan = clockspec.load(spec).compile()
    data = build_task(plan.spec.task)
    assert len(data.y_train) == plan.derived["n_train"] == 40 and len(data.y_test) == plan.derived["n_test"] == 25
    rows = {tuple(r) for r in torch.cat([data.x_train, data.x_test]).tolist()}
    assert len(rows) == 65  # no example is in both sets


def test_a_csv_with_a_header_is_one_set_with_the_label_last(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(20)))
    plan = clockspec.load(write_spec(tmp_path, "d.csv", "\n  header: true")).compile()
    assert (plan.derived["input_dim"], plan.derived["output_dim"]) == (2, 2)
    data = build_task(plan.spec.task)
    assert torch.equal(data.y_train, data.x_train[:, 0].long() % 2)


def test_the_file_content_is_in_the_data_node_hash(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.zeros((10, 2)), y=np.arange(10) % 2)
    spec = write_spec(tmp_path)
    before = clockspec.load(spec).compile()
    np.savez(tmp_path / "data.npz", x=np.ones((10, 2)), y=np.arange(10) % 2)
    after = clockspec.load(spec).compile()
    assert before.hash("data") != after.hash("data") and before.train_hash != after.train_hash
    assert before.nodes["data"].data["sha256"] != after.nodes["data"].data["sha256"]


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p: None, "no such file"),
    (lambda p: np.savez(p, x=np.zeros((4, 2)), labels=np.zeros(4)), "has labels, x; expected arrays x_train"),
    (lambda p: np.savez(p, x=np.zeros((4, 2)), y=np.zeros(5, int)), "one label per example of x (4)"),
    (lambda p: np.savez(p, x=np.zeros(4), y=np.zeros(4, int)), "one row (or image) per example"),
    (lambda p: np.savez(p, x=np.array([["a", "b"]] * 4), y=np.zeros(4, int)), "must be numbers"),
    (lambda p: np.savez(p, x=np.zeros((4, 2)), y=np.full(4, 0.5)), "whole-number class labels"),
    (lambda p: np.savez(p, x=np.zeros((4, 2)), y=np.array([0, 1, -1, 0])), "each a class in 0..65535"),
    (lambda p: np.savez(p, x=np.zeros((4, 2), dtype=object), y=np.zeros(4, int)), "without unpickling"),
    (lambda p: np.savez(p, x_train=np.zeros((4, 2)), y_train=np.zeros(4, int), x_test=np.zeros((4, 3)),
                        y_test=np.zeros(4, int)), "x_train has 2 inputs per example but x_test has 3"),
])
def test_a_bad_file_is_a_positioned_error_at_path(tmp_path, make, expected):
    make(tmp_path / "data.npz")
    message = compile_error(write_spec(tmp_path))
    assert "spec.yaml:4:9: error: dataset 'data.npz'" in message and expected in message


def test_a_truncated_npz_is_a_positioned_error(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.zeros((100, 8)), y=np.zeros(100, int))
    raw = (tmp_path / "data.npz").read_bytes()
    (tmp_path / "data.npz").write_bytes(raw[: len(raw) // 2])
    assert "spec.yaml:4:9: error: dataset 'data.npz': is not a readable .npz archive" in compile_error(write_spec(tmp_path))


def test_a_path_may_not_leave_the_spec_tree_even_through_a_link(tmp_path):
    outside, inside = tmp_path / "outside", tmp_path / "specs"
    outside.mkdir()
    inside.mkdir()
    np.savez(outside / "secret.npz", x=np.zeros((4, 2)), y=np.zeros(4, int))
    (inside / "data.npz").symlink_to(outside / "secret.npz")
    assert "leads outside the spec's folder" in compile_error(write_spec(inside))
    assert "leads outside the spec's folder" in compile_error(write_spec(inside, str(outside / "secret.npz")))
    assert "leads outside the spec's folder" in compile_error(write_spec(inside, "../outside/secret.npz"))


def test_a_subset_larger_than_the_training_set_and_a_bad_suffix_are_refused(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.zeros((10, 2)), y=np.arange(10) % 2)
    assert "train_subset = 50 exceeds the 8 training examples" in compile_error(
        write_spec(tmp_path, extra="\n  train_subset: 50"))
    (tmp_path / "data.txt").write_text("1,2\n")
    assert "a dataset path ends in .npz or .csv" in compile_error(write_spec(tmp_path, "data.txt"))


def test_a_bad_csv_names_the_problem(tmp_path):
    (tmp_path / "d.csv").write_text("1,2,0\n3,x,1\n")
    assert "is not a table of numbers separated by commas" in compile_error(write_spec(tmp_path, "d.csv", "\n  header: false"))


def test_where_a_spec_was_read_is_no_part_of_its_task(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.zeros((10, 2)), y=np.arange(10) % 2)
    loaded = clockspec.load(write_spec(tmp_path))
    again = clockspec.loads(clockspec.dumps(loaded))
    assert loaded == again and hash(loaded.task) == hash(again.task) and len({loaded.task, again.task}) == 1


FAMILY = """clockspec: 1
family: dsfam
base: spec.yaml
vary:
  grid:
    seed: [0, 1]
"""


def test_members_overrides_and_grids_read_the_specs_data_from_any_working_directory(tmp_path, monkeypatch):
    """Copies of a dataset spec (family members, `--set`, `--grid`, and the members as a
    worker receives them) read the file beside the spec, never one in the working directory."""
    from clockspec.commands.main import main
    from clockspec.orchestrate import execute
    from thread_backend import ThreadBackend

    folder, elsewhere = tmp_path / "specs", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    rng = np.random.default_rng(0)
    np.savez(folder / "data.npz", x=rng.normal(size=(40, 3)), y=np.arange(40) % 2)
    write_spec(folder)
    (folder / "fam.yaml").write_text(FAMILY)
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(execute, "LocalBackend", lambda jobs, threads: ThreadBackend(2))
    runs = str(tmp_path / "runs")
    assert main(["run", "-q", str(folder / "fam.yaml"), "--out", runs, "--jobs", "2"]) == 0
    assert main(["run", "-q", str(folder / "spec.yaml"), "--out", runs, "--set", "seed=3"]) == 0
    assert main(["run", "-q", str(folder / "spec.yaml"), "--out", runs, "--grid", "seed=4,5", "--jobs", "2"]) == 0
    assert main(["run", "-q", str(folder / "fam.yaml"), "--out", runs + "2", "--set", "train.steps=10", "--jobs", "2"]) == 0
    assert not list(elsewhere.iterdir())  # nothing read or written where the commands ran
